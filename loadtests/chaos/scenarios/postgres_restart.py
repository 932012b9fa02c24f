"""(5) PostgreSQL restarted under load (a fast shutdown: every session ends at once).

Every service loses its pooled connections, the outbox relays their LISTEN connection, the
consumers their transactions mid-batch. Plan: a drawn pause (0-3 s) before the start. The window
runs from the stop until the server answers again.
"""

from __future__ import annotations

import random
from typing import Any

from loadtests.chaos.faults import start_server, stop_server
from loadtests.chaos.scenario import ChaosContext, FaultKind, Scenario


class PostgresRestarted(Scenario):
    name = "postgres_restart"
    summary = "PostgreSQL restarted under load"

    def plan(self, rng: random.Random) -> dict[str, Any]:
        return {"pause_s": round(rng.uniform(0, 3), 1)}

    async def inject(self, ctx: ChaosContext) -> None:
        ctx.fault(FaultKind.DATABASE_OUTAGE, "postgres")
        await stop_server(ctx.stack.postgres)
        await ctx.hold_for(ctx.plan["pause_s"])

    async def heal(self, ctx: ChaosContext) -> None:
        try:
            await start_server(ctx.stack.postgres)
        finally:
            for window in ctx.open_windows():
                ctx.end(window)


SCENARIO = PostgresRestarted()
