"""What a chaos scenario is: a seeded plan, a fault it injects, and the heal that ends it.

A scenario never waits for the system to recover and never checks anything: the runner
(loadtests/chaos/runner.py) keeps the checkout load going, calls `inject` and `heal`, then waits
until every accepted order is terminal and checks the invariants. What a scenario owes the runner
is an honest account of its fault: `ctx.fault(...)` opens a window with its kind (a broker or
database outage is judged more strictly, see invariants.py) and `heal` closes it, so "time to
recover" is measured from the moment the fault really ended. Every random choice (target, timing)
comes from the `random.Random` the runner seeds, so `make chaos SEED=n` replays a run exactly.
A scenario that cannot inject (a server missing, a process gone) raises: the run reports it as
failed, never as passed.
"""

from __future__ import annotations

import abc
import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from loadtests.chaos.violations import Violation
from operators.local.settings import LocalStackSettings
from operators.local.stack import LocalStack
from operators.local.workloads import Workloads

SERVICES = ("order", "inventory", "payment", "notification")


class FaultKind(StrEnum):
    PROCESS = "process"  # a workload killed, frozen or restarted
    BROKER_OUTAGE = "broker-outage"  # Kafka unreachable
    DATABASE_OUTAGE = "database-outage"  # PostgreSQL unreachable or refusing connections
    CACHE_OUTAGE = "cache-outage"  # Redis unreachable: reads must still be served
    NETWORK = "network"  # latency or a partition between a service and a dependency
    DATA = "data"  # bad input: poison messages


@dataclass
class FaultWindow:
    """One fault, wall-clock seconds (time.time(), the clock PostgreSQL's now() also reads)."""

    kind: FaultKind
    target: str
    started_at: float
    ended_at: float | None = None

    @property
    def seconds(self) -> float:
        return (self.ended_at or time.time()) - self.started_at


@dataclass
class ChaosContext:
    """What a scenario may touch: the stack, the workloads supervisor, settings, a log."""

    stack: LocalStack
    log: Callable[[str], None]
    plan: dict[str, Any] = field(default_factory=dict)  # what the scenario drew from the seed
    faults: list[FaultWindow] = field(default_factory=list)
    restart_to_ready_s: list[float] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def workloads(self) -> Workloads:
        """scale / hold / release / set_env / restart of operators/local/workloads.py."""
        return self.stack.workloads

    @property
    def settings(self) -> LocalStackSettings:
        return self.stack.settings

    def fault(self, kind: FaultKind, target: str) -> FaultWindow:
        """Open a fault window now; close it with `end(window)` when the fault is over."""
        window = FaultWindow(kind, target, time.time())
        self.faults.append(window)
        self.log(f"fault: {kind.value} on {target}")
        return window

    def end(self, window: FaultWindow) -> None:
        window.ended_at = time.time()
        self.log(f"healed: {window.kind.value} on {window.target} after {window.seconds:.1f} s")

    def open_windows(self) -> list[FaultWindow]:
        return [w for w in self.faults if w.ended_at is None]

    async def wait_ready(self, name: str, replica: int, *, since: float, within_s: float) -> float:
        """Seconds from `since` (time.time()) until the replica answers ready; records them."""
        deadline = time.monotonic() + within_s
        while not await asyncio.to_thread(self.workloads.ready, name, replica):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name}-{replica} not ready {within_s:.0f} s after its fault")
            await asyncio.sleep(0.1)
        seconds = time.time() - since
        self.restart_to_ready_s.append(seconds)
        return seconds

    async def hold_for(self, seconds: float) -> None:
        """Let the fault last (a plain wait on the load's clock, not synchronisation)."""
        await asyncio.sleep(seconds)


class Scenario(abc.ABC):
    """One kind of fault. Subclasses set `name` and `summary`, and implement the three steps."""

    name: str
    summary: str

    @abc.abstractmethod
    def plan(self, rng: random.Random) -> dict[str, Any]:
        """Draw targets and timings from `rng` (only from it): the plan is recorded and replayed."""

    @abc.abstractmethod
    async def inject(self, ctx: ChaosContext) -> None:
        """Start the fault (open its window with ctx.fault) and let it last as `ctx.plan` says."""

    @abc.abstractmethod
    async def heal(self, ctx: ChaosContext) -> None:
        """End the fault and close its window; must be safe to call after a failed inject."""

    async def verify(self, ctx: ChaosContext) -> list[Violation]:
        """Checks of this scenario's own (the poison all dead-lettered); none by default."""
        return []
