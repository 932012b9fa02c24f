"""The unit level's promise, enforced: no network connection and no process from any unit test.

An autouse guard replaces the socket connect calls and process creation with a failure that names
what was attempted, so a test that quietly needs a server (or starts a tool) cannot hide here; it
belongs under tests/integration/. Listening sockets and socket pairs stay allowed (event loops
use them internally).
"""

from __future__ import annotations

import socket
import subprocess
from typing import Any, NoReturn

import pytest


class UnitIOError(AssertionError):
    """A unit test tried to reach a server or start a process."""


def _refuse(what: str) -> Any:
    def refuse(*args: Any, **_: Any) -> NoReturn:
        raise UnitIOError(f"a unit test may not {what} {args[1:]!r}: move it to tests/integration/")

    return refuse


@pytest.fixture(autouse=True)
def no_servers_no_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _refuse("connect to"))
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse("connect to"))
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("start a process"))
