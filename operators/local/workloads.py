"""Workloads as supervised processes on loopback, described by one desired-state file.

`.local/run/pipeline.json` is the plan `conveyor local up` derived from the OrderPipeline file
(operators/local/plan.py): which workloads run, their ports and initial replicas.
`.local/run/desired.json` says, per planned workload, how many replicas should run now, which are
held down on purpose (a test that killed one and wants it to stay dead), and extra environment
(feature flag overrides on top of the spec's). `up` resets it from the plan; `scale`, `hold`,
`release` and `set_env` change it afterwards, and `reset` returns to the plan. The supervisor
process (`python -m operators.local.supervisor`) reconciles that
file against reality twice a second: it starts what is missing, restarts what died with a growing
back-off, and stops replicas beyond the desired count — a tiny controller loop, the same shape
the kopf operator has in a cluster.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from operators.local.plan import MAX_REPLICAS, LocalPlan, LocalWorkload, plan, read
from operators.local.processes import Liveness, ManagedProcess
from operators.local.settings import LocalStackSettings
from operators.paths import REPO_ROOT


class WorkloadState(StrEnum):
    READY = "ready"
    STARTING = "starting"  # alive, not ready yet
    DEAD = "dead"
    HELD = "held"  # stopped on purpose
    STOPPED = "stopped"


@dataclass
class Desired:
    replicas: int
    held: list[int] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    # A network namespace the replicas run in (the chaos suite's partition); None: the host's.
    netns: str | None = None


@dataclass(frozen=True)
class ReplicaStatus:
    name: str
    replica: int
    state: WorkloadState
    pid: int | None
    address: str


class Workloads:
    def __init__(self, settings: LocalStackSettings) -> None:
        self.settings = settings
        self.desired_file = settings.state_dir / "run" / "desired.json"
        self.plan_file = settings.state_dir / "run" / "pipeline.json"
        # The gateway's upstream registry (ADR 0034): every desired replica's base URL.
        self.registry_file = settings.state_dir / "run" / "registry.json"

    # --- desired state -----------------------------------------------------------------------

    def plan(self) -> LocalPlan:
        """The plan of the last `up`; before any, the one the configured pipeline file gives."""
        if self.plan_file.exists():
            return LocalPlan.from_json(json.loads(self.plan_file.read_text()))
        return plan(read(self.settings.pipeline), source=str(self.settings.pipeline))

    def apply(self, planned: LocalPlan) -> None:
        """Make `planned` the plan and the desired state (what `up` does)."""
        self.plan_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.plan_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(planned.to_json(), indent=2))
        tmp.replace(self.plan_file)
        self.reset()

    def runnable(self) -> list[LocalWorkload]:
        return list(self.plan().workloads)

    def desired(self) -> dict[str, Desired]:
        stored: dict[str, Any] = {}
        if self.desired_file.exists():
            stored = json.loads(self.desired_file.read_text())
        return {
            w.name: Desired(**stored[w.name]) if w.name in stored else Desired(replicas=w.replicas)
            for w in self.runnable()
        }

    def _save(self, desired: dict[str, Desired]) -> None:
        self.desired_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.desired_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({k: vars(v) for k, v in desired.items()}, indent=2))
        tmp.replace(self.desired_file)
        self._register(desired)

    def _register(self, desired: dict[str, Desired]) -> None:
        """Publish each workload's desired replicas for the gateway, which probes them itself
        (a held or crashed replica stays listed and fails its health check)."""
        plan = self.plan()
        listed = {
            name: [
                f"http://{self.settings.host}:{workload.port_of(r)}" for r in range(want.replicas)
            ]
            for name, want in desired.items()
            if (workload := plan.get(name)) is not None
        }
        tmp = self.registry_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(listed, indent=2))
        tmp.replace(self.registry_file)

    def _update(self, name: str, **changes: Any) -> None:
        if self.plan().get(name) is None:
            raise ValueError(
                f"unknown workload {name!r}; choose from {[w.name for w in self.runnable()]}"
            )
        desired = self.desired()
        for key, value in changes.items():
            setattr(desired[name], key, value)
        self._save(desired)

    def scale(self, name: str, replicas: int) -> None:
        if not 0 <= replicas <= MAX_REPLICAS:
            raise ValueError(f"replicas must be between 0 and {MAX_REPLICAS}")
        self._update(name, replicas=replicas)

    def set_env(self, name: str, env: dict[str, str]) -> None:
        self._update(name, env=env)

    def set_netns(self, name: str, netns: str | None) -> None:
        """Run the workload's replicas inside a network namespace from their next start on."""
        self._update(name, netns=netns)

    def hold(self, name: str, replica: int, *, kill: signal.Signals = signal.SIGKILL) -> None:
        """Stop one replica and keep it down (the supervisor will not restart it)."""
        held = sorted({*self.desired()[name].held, replica})
        self._update(name, held=held)
        process = self.process(name, replica)
        pid = process.pid()
        if pid and process.liveness() is Liveness.ALIVE:
            os.kill(pid, kill)

    def release(self, name: str, replica: int | None = None) -> None:
        held = [] if replica is None else [r for r in self.desired()[name].held if r != replica]
        self._update(name, held=held)

    def reset(self) -> list[str]:
        """Back to the plan: its replicas, nothing held, no extra environment.

        Returns the workloads whose replicas were given extra environment or a network namespace:
        their running processes keep those until they are restarted (`restart`). Replica counts
        and held replicas need no restart: the supervisor reconciles them.
        """
        before = self.desired()
        self._save({w.name: Desired(replicas=w.replicas) for w in self.runnable()})
        return [name for name, want in before.items() if want.env or want.netns is not None]

    # --- processes ---------------------------------------------------------------------------

    def process(self, name: str, replica: int) -> ManagedProcess:
        run = self.settings.state_dir / "run" / "workloads"
        logs = self.settings.state_dir / "logs"
        return ManagedProcess(
            f"{name}-{replica}", run / f"{name}-{replica}.pid", logs / f"{name}-{replica}.log"
        )

    def address(self, name: str, replica: int) -> str:
        workload = self.plan().get(name)
        if workload is None:
            raise ValueError(f"{name} is not in the local pipeline")
        return f"{self.settings.host}:{workload.port_of(replica)}"

    def url(self, name: str, replica: int = 0) -> str:
        return f"http://{self.address(name, replica)}"

    def spawn(
        self,
        workload: LocalWorkload,
        replica: int,
        base_env: dict[str, str],
        extra: dict[str, str],
        *,
        netns: str | None = None,
    ) -> int:
        """Start one replica: the spec's environment, then overrides, then its identity."""
        env = {
            **os.environ,
            **base_env,
            **extra,
            "SERVICE_NAME": workload.name,
            "REPLICA": str(replica),
            "HTTP_HOST": self.settings.host,
            "HTTP_PORT": str(workload.port_of(replica)),
        }
        inside = ["ip", "netns", "exec", netns] if netns else []  # exec keeps the pid
        return self.process(workload.name, replica).spawn(
            [*inside, sys.executable, "-m", workload.module], cwd=REPO_ROOT, env=env
        )

    def ready(self, name: str, replica: int) -> bool:
        try:
            url = f"{self.url(name, replica)}/health/ready"  # always http on loopback
            with urllib.request.urlopen(url, timeout=1) as r:  # noqa: S310
                return bool(r.status == 200)  # noqa: PLR2004
        except (urllib.error.URLError, OSError):
            return False

    def status(self) -> list[ReplicaStatus]:
        rows: list[ReplicaStatus] = []
        desired = self.desired()
        for workload in self.runnable():
            want = desired[workload.name]
            for replica in range(max(want.replicas, 1)):
                process = self.process(workload.name, replica)
                liveness = process.liveness()
                if replica in want.held and liveness is not Liveness.ALIVE:
                    state = WorkloadState.HELD
                elif liveness is Liveness.ALIVE:
                    ready = self.ready(workload.name, replica)
                    state = WorkloadState.READY if ready else WorkloadState.STARTING
                elif liveness is Liveness.DEAD:
                    state = WorkloadState.DEAD
                else:
                    state = WorkloadState.STOPPED
                rows.append(
                    ReplicaStatus(
                        workload.name,
                        replica,
                        state,
                        process.pid(),
                        self.address(workload.name, replica),
                    )
                )
        return rows

    def restart(self, name: str | None, timeout_s: float) -> list[str]:
        """Stop replicas gracefully (the supervisor starts them again with the current env)."""
        names = [name] if name else [w.name for w in self.runnable()]
        restarted = []
        for workload in names:
            for replica in range(self.desired()[workload].replicas):
                if self.process(workload, replica).stop(sig=signal.SIGTERM, timeout_s=timeout_s):
                    restarted.append(f"{workload}-{replica}")
        return restarted

    def stop_all(self, timeout_s: float) -> list[str]:
        stopped = []
        for workload in self.runnable():
            for path in sorted(
                (self.settings.state_dir / "run" / "workloads").glob(f"{workload.name}-*.pid")
            ):
                replica = int(path.stem.rsplit("-", 1)[1])
                if self.process(workload.name, replica).stop(
                    sig=signal.SIGTERM, timeout_s=timeout_s
                ):
                    stopped.append(f"{workload.name}-{replica}")
        return stopped
