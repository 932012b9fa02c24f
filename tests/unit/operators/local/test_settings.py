from __future__ import annotations

import pytest
from pydantic import ValidationError

from operators.local.settings import LocalStackSettings


def test_ports_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVEYOR_KAFKA_PORT", "29092")
    assert LocalStackSettings().kafka_port == 29092


def test_privileged_or_invalid_ports_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVEYOR_REDIS_PORT", "80")
    with pytest.raises(ValidationError, match="redis_port"):
        LocalStackSettings()
