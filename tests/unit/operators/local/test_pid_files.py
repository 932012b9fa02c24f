"""Dropping a stopped process's pid file never drops its successor's (the supervisor's race).

A stopper checks that the pid file still names the process it stopped, then unlinks it; the
supervisor may write a successor's record at that very moment. The test puts the successor's
write exactly between the check and the unlink (from another thread, as another process would):
the successor's record must survive. Without the lock the write lands first and is unlinked.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from operators.local.processes import ManagedProcess

STOPPED = (1111, 1)
SUCCESSOR = (2222, 2)


def test_a_successor_written_during_forget_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    process = ManagedProcess("inventory-0", tmp_path / "inventory-0.pid", tmp_path / "x.log")
    process.record(*STOPPED)
    written = threading.Event()

    def supervisor_writes() -> None:
        process.record(*SUCCESSOR)
        written.set()

    successor = threading.Thread(target=supervisor_writes)
    checked = ManagedProcess.recorded

    def check_then_let_the_supervisor_write(self: ManagedProcess) -> tuple[int, int] | None:
        seen = checked(self)
        successor.start()
        # The writer either finishes now (nothing stops it) or waits for our lock to go.
        written.wait(timeout=1.0)
        return seen

    monkeypatch.setattr(ManagedProcess, "recorded", check_then_let_the_supervisor_write)
    process.forget(STOPPED)
    monkeypatch.undo()
    successor.join()
    assert process.recorded() == SUCCESSOR
