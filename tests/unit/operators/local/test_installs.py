from __future__ import annotations

import io

import pytest
from rich.console import Console

from operators.local.installs import MissingDependencyError, Requirement, ensure_installed


def test_missing_program_without_root_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    missing = Requirement("Redis server", ("redis-server",), lambda: False)
    present = Requirement("PostgreSQL", ("postgresql",), lambda: True)
    with pytest.raises(MissingDependencyError) as caught:
        ensure_installed([missing, present], Console(file=io.StringIO()))
    message = str(caught.value)
    assert "Redis server" in message
    assert "sudo apt-get install -y --no-install-recommends redis-server" in message
    assert "postgresql" not in message


def test_nothing_missing_installs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("apt-get must not run")

    monkeypatch.setattr("subprocess.run", refuse)
    ensure_installed([Requirement("x", ("x",), lambda: True)], Console(file=io.StringIO()))
