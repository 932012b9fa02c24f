"""`find_go`: the caller's error, naming what needs Go, when `go` is missing."""

from __future__ import annotations

import pytest

from operators.local.go_toolchain import find_go


class _BuildError(RuntimeError):
    pass


def test_without_go_on_path_the_callers_error_names_the_purpose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(_BuildError, match=r"Go 1\.26\+ is needed to build a thing"):
        find_go((1, 26), purpose="a thing", error=_BuildError)
