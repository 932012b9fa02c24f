"""(2) SIGSTOP of a service for 20 s, then SIGCONT.

A frozen process keeps its sockets open and answers nothing: its consumer group's session times
out and the partitions move (or wait, with one replica), HTTP clients time out. Plan: which
service. The window runs from SIGSTOP until the thawed replica answers ready again.
"""

from __future__ import annotations

import random
import signal
import time
from typing import Any

from loadtests.chaos.faults import signal_replica
from loadtests.chaos.scenario import SERVICES, ChaosContext, FaultKind, Scenario

FROZEN_S = 20.0


class FreezeAService(Scenario):
    name = "sigstop"
    summary = "SIGSTOP of a service for 20 s, then SIGCONT"

    def plan(self, rng: random.Random) -> dict[str, Any]:
        return {"service": rng.choice(SERVICES), "frozen_s": FROZEN_S}

    async def inject(self, ctx: ChaosContext) -> None:
        ctx.notes["window"] = ctx.fault(FaultKind.PROCESS, f"{ctx.plan['service']}-0")
        ctx.notes["pid"] = signal_replica(ctx, ctx.plan["service"], 0, signal.SIGSTOP)
        await ctx.hold_for(ctx.plan["frozen_s"])

    async def heal(self, ctx: ChaosContext) -> None:
        if "pid" in ctx.notes:
            thawed = time.time()
            signal_replica(ctx, ctx.plan["service"], 0, signal.SIGCONT)
            await ctx.wait_ready(ctx.plan["service"], 0, since=thawed, within_s=60)
        for window in ctx.open_windows():
            ctx.end(window)


SCENARIO = FreezeAService()
