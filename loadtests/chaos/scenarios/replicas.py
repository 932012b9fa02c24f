"""(12) Two replicas of every workload; one of each killed repeatedly (SIGKILL).

The supervisor runs a second replica of each service; while one replica of a service is down the
other keeps consuming (its consumer group rebalances onto it). Plan: a drawn sequence of
(service, replica, gap) kills. Each kill is a window until the replica answers ready again.
Heal scales every workload back to its plan.
"""

from __future__ import annotations

import asyncio
import io
import random
import signal
import time
from typing import Any

from rich.console import Console

from loadtests.chaos.faults import signal_replica
from loadtests.chaos.scenario import SERVICES, ChaosContext, FaultKind, Scenario

ROUNDS = 2  # kills per service


class KillOneOfTwo(Scenario):
    name = "replicas"
    summary = "two replicas of every workload, one of each killed repeatedly"

    def plan(self, rng: random.Random) -> dict[str, Any]:
        kills = [s for s in SERVICES for _ in range(ROUNDS)]
        rng.shuffle(kills)
        return {
            "kills": [
                {"service": s, "replica": rng.randint(0, 1), "gap_s": round(rng.uniform(1, 4), 1)}
                for s in kills
            ]
        }

    async def inject(self, ctx: ChaosContext) -> None:
        for service in SERVICES:
            ctx.workloads.scale(service, 2)
        await asyncio.to_thread(ctx.stack.wait_for_workloads, Console(file=io.StringIO()))
        for kill in ctx.plan["kills"]:
            await ctx.hold_for(kill["gap_s"])
            name, replica = kill["service"], kill["replica"]
            window = ctx.fault(FaultKind.PROCESS, f"{name}-{replica}")
            killed = time.time()
            signal_replica(ctx, name, replica, signal.SIGKILL)
            await ctx.wait_ready(name, replica, since=killed, within_s=60)
            ctx.end(window)

    async def heal(self, ctx: ChaosContext) -> None:
        for window in ctx.open_windows():
            ctx.end(window)
        ctx.workloads.reset()


SCENARIO = KillOneOfTwo()
