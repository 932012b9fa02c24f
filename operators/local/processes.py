"""Start, find and stop detached server processes, tracked by pid files.

A pid file records the pid *and* the kernel's start time of that process. A pid is only treated
as ours while both still match, so a pid recycled by the kernel after a crash is never signalled.
A process that exited but was not reaped yet (a zombie) counts as dead: that is what a SIGKILLed
server whose parent is gone looks like until init collects it.

Writing a pid file and dropping one that still names a stopped process happen under an exclusive
`flock` on a lock file beside it: a stopper (`conveyor local restart`, a test) and the supervisor
starting a successor at the same moment can no longer interleave as "stopper checks the record,
supervisor writes its successor's, stopper unlinks it" — which left a live, untracked replica
holding the port while the supervisor's next starts failed to bind.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

# Popen objects of children started by this interpreter, kept so they are reaped when they exit
# instead of lingering as zombies or raising ResourceWarning when garbage-collected.
_children: dict[int, subprocess.Popen[bytes]] = {}


class Liveness(StrEnum):
    NEVER_STARTED = "never-started"
    ALIVE = "alive"
    DEAD = "dead"


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, or None if it is gone or a zombie."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    state, start_ticks = fields[0], fields[19]
    if state in {"Z", "X"}:
        return None
    return int(start_ticks)


def _alive(record: tuple[int, int]) -> bool:
    pid, ticks = record
    _reap(pid)
    return pid > 0 and _start_ticks(pid) == ticks


def _reap(pid: int) -> None:
    child = _children.get(pid)
    if child is not None and child.poll() is not None:
        del _children[pid]


def reap_exited() -> dict[int, int]:
    """Collect every child this interpreter started that has exited: {pid: exit status}.

    A long-lived parent (the supervisor) must call this regularly: a child it started may be
    stopped by another process (`conveyor local restart`, a test), which removes the pid file, so
    no later liveness check of that file would ever reap it and it would stay a zombie.
    """
    exited = {pid: code for pid, child in _children.items() if (code := child.poll()) is not None}
    for pid in exited:
        del _children[pid]
    return exited


@dataclass(frozen=True)
class ManagedProcess:
    """One long-running server process and the files that track it."""

    name: str
    pid_file: Path
    log_file: Path

    def recorded(self) -> tuple[int, int] | None:
        """The (pid, start ticks) this runner recorded, or None when it never started one."""
        try:
            data = json.loads(self.pid_file.read_text())
            return int(data["pid"]), int(data["start_ticks"])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            # A torn or hand-edited pid file: treat the process as lost, never guess a pid.
            return (0, -1)

    def pid(self) -> int | None:
        record = self.recorded()
        return record[0] if record else None

    def liveness(self) -> Liveness:
        record = self.recorded()
        if record is None:
            return Liveness.NEVER_STARTED
        return Liveness.ALIVE if _alive(record) else Liveness.DEAD

    def spawn(
        self,
        argv: list[str],
        *,
        cwd: Path,
        env: dict[str, str] | None = None,
        user: str | None = None,
    ) -> int:
        """Start argv in its own session, output appended to the log, and record its pid."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            log.write(f"\n=== conveyor: starting {self.name} at {time.ctime()}\n".encode())
            log.flush()
            child = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=user,
                group=user,
                extra_groups=[] if user else None,
            )
        _children[child.pid] = child
        ticks = _start_ticks(child.pid)
        self.record(child.pid, ticks if ticks is not None else -1)
        return child.pid

    def record(self, pid: int, start_ticks: int) -> None:
        """Write the pid file (atomically, and under its lock: see `forget`)."""
        tmp = self.pid_file.with_suffix(".tmp")
        with self._locked():
            tmp.write_text(json.dumps({"pid": pid, "start_ticks": start_ticks}))
            tmp.replace(self.pid_file)

    def stop(self, *, sig: signal.Signals, timeout_s: float) -> bool:
        """Signal our process, wait, SIGKILL after the timeout; True if one was running.

        Works on the record read once at the start: if a supervisor starts a successor (and
        rewrites the pid file) meanwhile, that successor is neither waited for nor forgotten.
        """
        record = self.recorded()
        if record is None:
            return False
        running = _alive(record)
        if running:
            pid = record[0]
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            deadline = time.monotonic() + timeout_s
            while _alive(record) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(record):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                while _alive(record):
                    time.sleep(0.05)
        self.forget(record)
        return running

    def forget(self, record: tuple[int, int] | None = None) -> None:
        """Drop the pid file (only if it still holds `record`, when one is given): atomic with
        respect to a concurrent `spawn` writing a successor's record."""
        with self._locked():
            if record is None or self.recorded() == record:
                self.pid_file.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the pid file's lock (`<pid file>.lock`, created on first use) while inside."""
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with self.pid_file.with_suffix(".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def log_tail(self, lines: int = 30) -> list[str]:
        try:
            text = self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return []
        return text.splitlines()[-lines:]
