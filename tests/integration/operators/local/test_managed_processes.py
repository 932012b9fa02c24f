"""Pid files are trusted only while the pid still names the process this runner started."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from operators.local.processes import Liveness, ManagedProcess
from tests.support.eventually import eventually_sync


def _process(tmp_path: Path) -> ManagedProcess:
    return ManagedProcess("sleeper", tmp_path / "sleeper.pid", tmp_path / "sleeper.log")


def _wait_for(process: ManagedProcess, liveness: Liveness) -> None:
    def reached() -> None:
        assert (now := process.liveness()) is liveness, f"still {now}"

    eventually_sync(reached, within_s=5, every_s=0.02)


def test_spawned_process_is_alive_then_stopped(tmp_path: Path) -> None:
    process = _process(tmp_path)
    assert process.liveness() is Liveness.NEVER_STARTED
    process.spawn(["sleep", "30"], cwd=tmp_path)
    assert process.liveness() is Liveness.ALIVE
    assert process.stop(sig=signal.SIGTERM, timeout_s=5)
    assert process.liveness() is Liveness.NEVER_STARTED
    assert not process.stop(sig=signal.SIGTERM, timeout_s=5), "nothing left to stop"


def test_sigkilled_process_is_dead_not_alive(tmp_path: Path) -> None:
    process = _process(tmp_path)
    pid = process.spawn(["sleep", "30"], cwd=tmp_path)
    os.kill(pid, signal.SIGKILL)
    _wait_for(process, Liveness.DEAD)


def test_recycled_pid_is_never_taken_for_ours(tmp_path: Path) -> None:
    process = _process(tmp_path)
    pid = process.spawn(["sleep", "30"], cwd=tmp_path)
    try:
        record = json.loads(process.pid_file.read_text())
        process.pid_file.write_text(
            json.dumps({"pid": pid, "start_ticks": record["start_ticks"] + 1})
        )
        assert process.liveness() is Liveness.DEAD
        assert process.stop(sig=signal.SIGTERM, timeout_s=1) is False
        assert Path(f"/proc/{pid}").exists(), "a process that is not ours was signalled"
    finally:
        os.kill(pid, signal.SIGKILL)


def test_torn_pid_file_counts_as_dead(tmp_path: Path) -> None:
    process = _process(tmp_path)
    process.pid_file.write_text("{not json")
    assert process.liveness() is Liveness.DEAD


def test_slow_process_is_killed_after_the_timeout(tmp_path: Path) -> None:
    process = _process(tmp_path)
    process.spawn(["bash", "-c", "trap '' TERM; echo trap-installed; sleep 30"], cwd=tmp_path)

    def trapped() -> None:  # bash says so once the trap is in place: SIGTERM is now ignored
        assert "trap-installed" in process.log_file.read_text(), "bash has not set its trap yet"

    eventually_sync(trapped, within_s=5, every_s=0.02)
    assert process.stop(sig=signal.SIGTERM, timeout_s=0.5)
    assert process.liveness() is Liveness.NEVER_STARTED
