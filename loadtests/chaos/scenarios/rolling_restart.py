"""(11) A rolling restart of every workload under load: one at a time, each graceful (SIGTERM).

Plan: the order of the workloads. Each restart is its own window, from SIGTERM until the new
process answers ready, before the next one begins.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from loadtests.chaos.scenario import SERVICES, ChaosContext, FaultKind, Scenario


class RollingRestart(Scenario):
    name = "rolling_restart"
    summary = "a rolling restart of every workload under load"

    def plan(self, rng: random.Random) -> dict[str, Any]:
        return {"order": rng.sample(SERVICES, k=len(SERVICES))}

    async def inject(self, ctx: ChaosContext) -> None:
        for service in ctx.plan["order"]:
            window = ctx.fault(FaultKind.PROCESS, f"{service} (restart)")
            began = time.time()
            await asyncio.to_thread(ctx.workloads.restart, service, ctx.settings.stop_timeout_s)
            await ctx.wait_ready(service, 0, since=began, within_s=60)
            ctx.end(window)

    async def heal(self, ctx: ChaosContext) -> None:
        for window in ctx.open_windows():
            ctx.end(window)


SCENARIO = RollingRestart()
