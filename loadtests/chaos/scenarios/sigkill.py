"""(1) SIGKILL of each service in turn, mid-saga.

Plan: the services in a drawn order, each killed after a drawn gap (1-4 s of load). Each kill is
its own fault window, from the kill until the supervisor's restart answers ready (recorded as the
restart-to-ready time, back-off included). Nothing to heal but windows a failed wait left open.
"""

from __future__ import annotations

import random
import signal
import time
from typing import Any

from loadtests.chaos.faults import signal_replica
from loadtests.chaos.scenario import SERVICES, ChaosContext, FaultKind, Scenario

READY_WITHIN_S = 60.0


class SigkillEachService(Scenario):
    name = "sigkill"
    summary = "SIGKILL of each service in turn mid-saga"

    def __init__(self, *, services: int = len(SERVICES)) -> None:
        self.services = services  # how many of them (the e2e subset kills one)

    def plan(self, rng: random.Random) -> dict[str, Any]:
        order = rng.sample(SERVICES, k=self.services)
        return {"services": order, "gaps_s": [round(rng.uniform(1, 4), 1) for _ in order]}

    async def inject(self, ctx: ChaosContext) -> None:
        for service, gap in zip(ctx.plan["services"], ctx.plan["gaps_s"], strict=True):
            await ctx.hold_for(gap)
            window = ctx.fault(FaultKind.PROCESS, f"{service}-0")
            killed = time.time()
            signal_replica(ctx, service, 0, signal.SIGKILL)
            await ctx.wait_ready(service, 0, since=killed, within_s=READY_WITHIN_S)
            ctx.end(window)

    async def heal(self, ctx: ChaosContext) -> None:
        for window in ctx.open_windows():
            ctx.end(window)


SCENARIO = SigkillEachService()
