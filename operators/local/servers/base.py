"""The life cycle every local server shares: install, prepare, start, wait until ready, stop.

A start is idempotent: a server that is already ours and answering is left alone; one whose pid
file points at a dead process is started again; a port held by a process that is not ours is an
error naming the port and the setting that moves it. Readiness is a real request against the
server (a query, a PING, a metadata call, an HTTP probe), bounded by a timeout, and a failed start
shows the last lines of that server's log.
"""

from __future__ import annotations

import abc
import shutil
import signal
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from rich.console import Console

from operators.local.installs import Requirement
from operators.local.ports import is_listening
from operators.local.processes import Liveness, ManagedProcess
from operators.local.settings import LocalStackSettings


class ServerError(RuntimeError):
    """A server could not be started or is not usable; the message says what to do."""


class ServerState(StrEnum):
    RUNNING = "running"  # our process, answering
    UNHEALTHY = "unhealthy"  # our process, not answering
    DEAD = "dead"  # we started it, it is gone (crashed or killed)
    STOPPED = "stopped"  # not started by us (or stopped cleanly)
    PORT_TAKEN = "port-taken"  # not ours, but something else listens on its port


@dataclass(frozen=True)
class ServerStatus:
    name: str
    state: ServerState
    pid: int | None
    address: str
    detail: str = ""


class Server(abc.ABC):
    """One server of the local stack."""

    name: str
    stop_signal: signal.Signals = signal.SIGTERM

    def __init__(self, settings: LocalStackSettings) -> None:
        self.settings = settings
        self.dir = settings.server_dir(self.name)
        self.process = ManagedProcess(
            name=self.name,
            pid_file=settings.state_dir / "run" / f"{self.name}.pid",
            log_file=settings.state_dir / "logs" / f"{self.name}.log",
        )

    @property
    @abc.abstractmethod
    def port(self) -> int: ...

    @property
    @abc.abstractmethod
    def port_setting(self) -> str:
        """The environment variable that moves this server to another port."""

    @property
    def address(self) -> str:
        return f"{self.settings.host}:{self.port}"

    @property
    def start_timeout_s(self) -> float:
        """How long a start may take to answer (a JVM server on a busy laptop may get more)."""
        return self.settings.start_timeout_s

    @abc.abstractmethod
    def requirements(self) -> list[Requirement]: ...

    def prepare(self, console: Console) -> None:  # noqa: B027 - optional hook
        """Create data folders and configuration; runs before every start and must be idempotent."""

    @abc.abstractmethod
    def command(self) -> list[str]: ...

    def run_as(self) -> str | None:
        return None

    def environment(self) -> dict[str, str] | None:
        """The server's environment; None inherits the runner's."""
        return None

    @abc.abstractmethod
    def probe(self) -> bool:
        """One readiness check: True when the server answers real requests."""

    def after_ready(self, console: Console) -> None:  # noqa: B027 - optional hook
        """Bring the server's content up to the declaration (databases, topics); idempotent."""

    def start(self, console: Console) -> bool:
        """Start the server unless it already runs; True when this call started it."""
        liveness = self.process.liveness()
        if liveness is Liveness.ALIVE:
            self._wait_ready(console, started_now=False)
            self.after_ready(console)
            return False
        if liveness is Liveness.DEAD:
            console.print(f"  {self.name}: previous process is gone, starting again")
            self.process.forget()
        if is_listening(self.settings.host, self.port):
            raise ServerError(
                f"{self.name}: port {self.port} on {self.settings.host} is already in use by a "
                f"process conveyor did not start. Stop it, or choose another port with "
                f"{self.port_setting}=<port>."
            )
        self.prepare(console)
        self.process.spawn(self.command(), cwd=self.dir, env=self.environment(), user=self.run_as())
        self._wait_ready(console, started_now=True)
        self.after_ready(console)
        return True

    def _wait_ready(self, console: Console, *, started_now: bool) -> None:
        began = time.monotonic()
        deadline = began + self.start_timeout_s
        with console.status(f"  {self.name}: waiting for {self.address} to answer…"):
            while True:
                if self.process.liveness() is not Liveness.ALIVE:
                    raise ServerError(self._failure(f"{self.name} exited during start-up"))
                if self.probe():
                    break
                if time.monotonic() > deadline:
                    raise ServerError(
                        self._failure(
                            f"{self.name} did not answer on {self.address} within "
                            f"{self.start_timeout_s:.0f} s"
                        )
                    )
                time.sleep(0.25)
        took = time.monotonic() - began
        verb = "started" if started_now else "already running"
        console.print(f"  [green]✓[/] {self.name}: {verb} on {self.address} ({took:.1f} s)")

    def _failure(self, headline: str) -> str:
        tail = "\n".join(f"    {line}" for line in self.process.log_tail(25))
        return f"{headline}. Last lines of {self.process.log_file}:\n{tail}"

    def stop(self) -> bool:
        return self.process.stop(sig=self.stop_signal, timeout_s=self.settings.stop_timeout_s)

    def status(self) -> ServerStatus:
        liveness = self.process.liveness()
        pid = self.process.pid()
        if liveness is Liveness.ALIVE:
            if self.probe():
                return ServerStatus(self.name, ServerState.RUNNING, pid, self.address)
            return ServerStatus(
                self.name, ServerState.UNHEALTHY, pid, self.address, "process alive, not answering"
            )
        if liveness is Liveness.DEAD:
            return ServerStatus(
                self.name,
                ServerState.DEAD,
                pid,
                self.address,
                "exited or was killed; run `conveyor local up`",
            )
        if is_listening(self.settings.host, self.port):
            return ServerStatus(
                self.name,
                ServerState.PORT_TAKEN,
                None,
                self.address,
                "port held by another process",
            )
        return ServerStatus(self.name, ServerState.STOPPED, None, self.address)

    def ensure_dir(self, path: Path, *, owner: str | None = None) -> Path:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        if owner:
            shutil.chown(path, user=owner, group=owner)
        return path
