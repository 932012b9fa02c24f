"""No module outside tests grows past 450 lines: small modules named by role (ADR 0017)."""

from __future__ import annotations

from pathlib import Path

import pytest

from operators.paths import REPO_ROOT

LIMIT = 450
ROOMS = ("operators", "workloads", "loadtests", "policies", "platform/conveyor_platform")


def modules() -> list[Path]:
    return sorted(p for room in ROOMS for p in (REPO_ROOT / room).rglob("*.py"))


def test_the_rooms_hold_modules() -> None:
    assert len(modules()) > 100


@pytest.mark.parametrize("room", ROOMS)
def test_no_module_exceeds_the_limit(room: str) -> None:
    too_long = {
        str(p.relative_to(REPO_ROOT)): n
        for p in (REPO_ROOT / room).rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert not too_long, f"split these by role (limit {LIMIT} lines): {too_long}"
