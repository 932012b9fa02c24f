"""Locust as processes: one headless run, or a master and `workers` workers on loopback.

Every process gets the run's settings as `CONVEYOR_LOAD_*` variables and the repository on
PYTHONPATH (so a locustfile imports `loadtests.scenarios`); the master writes the CSV (every
few seconds, which the live line reads) and the HTML report, binds only 127.0.0.1 at
`master_port` (`CONVEYOR_LOCUST_MASTER_PORT`) and waits for its workers before it starts.
Locust's own output goes to `<prefix>.log`. A master that has not ended `grace_s` after the run
should have is killed, with its workers, and the run fails naming the log.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from operators.paths import REPO_ROOT


def workers_connected(log: str) -> int:
    """The most workers the master saw ready at once, from its log (pure)."""
    found = re.findall(r"reported as ready\. (\d+) workers connected", log)
    return max((int(n) for n in found), default=0)


class LocustError(RuntimeError):
    """Locust did not run to its end."""


@dataclass(frozen=True)
class LocustRun:
    locustfile: Path
    users: int
    spawn_rate: float
    duration_s: float
    host: str
    prefix: Path  # build/load/<scenario>: CSV files, .html and .log beside it
    env: dict[str, str]
    workers: int = 0
    master_port: int = 18557
    reset_stats: bool = False  # statistics from once every user has started (steady state)

    def master_command(self) -> list[str]:
        command = [
            sys.executable, "-m", "locust", "-f", str(self.locustfile), "--headless",
            "-u", str(self.users), "-r", f"{self.spawn_rate:g}", "-t", f"{self.duration_s:.0f}s",
            "--host", self.host, "--csv", str(self.prefix), "--html", f"{self.prefix}.html",
            "--only-summary", "--stop-timeout", "5", "--exit-code-on-error", "0",
        ]  # fmt: skip
        if self.reset_stats:
            command.append("--reset-stats")
        if self.workers:
            command += [
                "--master", "--master-bind-host", "127.0.0.1",
                "--master-bind-port", str(self.master_port),
                "--expect-workers", str(self.workers), "--expect-workers-max-wait", "90",
            ]  # fmt: skip
        return command

    def worker_command(self) -> list[str]:
        return [
            sys.executable, "-m", "locust", "-f", str(self.locustfile), "--worker",
            "--master-host", "127.0.0.1", "--master-port", str(self.master_port),
        ]  # fmt: skip


def run(
    plan: LocustRun,
    *,
    progress: Callable[[float], None],
    every_s: float = 2.0,
    grace_s: float = 120,
) -> None:
    """Run Locust to its end, calling `progress(elapsed_s)` every `every_s` meanwhile."""
    plan.prefix.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **plan.env, "PYTHONPATH": str(REPO_ROOT)}
    log_path = Path(f"{plan.prefix}.log")
    with log_path.open("w") as log:
        master = subprocess.Popen(plan.master_command(), stdout=log, stderr=subprocess.STDOUT,
                                  env=env, cwd=REPO_ROOT)  # fmt: skip
        workers = [
            subprocess.Popen(
                plan.worker_command(), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO_ROOT
            )
            for _ in range(plan.workers)
        ]
        began = time.monotonic()
        try:
            while master.poll() is None:
                if time.monotonic() - began > plan.duration_s + grace_s:
                    raise LocustError(f"Locust ran past its time; see {log_path}")
                progress(time.monotonic() - began)
                time.sleep(every_s)
            for worker in workers:  # a worker quits when its master does; give it a moment
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.terminate()
        finally:
            for process in (master, *workers):
                if process.poll() is None:
                    process.kill()
                    process.wait()
    if master.returncode != 0:
        raise LocustError(f"Locust exited {master.returncode}; see {log_path}")
