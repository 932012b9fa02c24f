"""(6) PostgreSQL's connection limit exhausted by another client, then released.

A hog opens connections (as the admin, who may also take the reserved slots) until the server
refuses more, then ends the services' own sessions so their pools must reconnect into a full
server: to the services this is a database outage. Plan: how long the hog holds on. The window
runs from the first refused connection until the hog let go.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import asyncpg

from loadtests.chaos.scenario import ChaosContext, FaultKind, Scenario

MAX_CONNECTIONS = 300  # the local server's max_connections (operators/local/servers/postgres.py)
BURST = 20


class ConnectionLimit(Scenario):
    name = "connection_limit"
    summary = "PostgreSQL connection limit exhausted by another client, then released"

    def plan(self, rng: random.Random) -> dict[str, Any]:
        return {"hold_s": round(rng.uniform(15, 30), 1)}

    async def inject(self, ctx: ChaosContext) -> None:
        hog: list[asyncpg.Connection] = []
        ctx.notes["hog"] = hog
        dsn = ctx.stack.postgres.admin_dsn()
        full = False
        while not full and len(hog) < MAX_CONNECTIONS:
            opened = await asyncio.gather(
                *(asyncpg.connect(dsn, timeout=10) for _ in range(BURST)), return_exceptions=True
            )
            for item in opened:
                if isinstance(item, asyncpg.Connection):
                    hog.append(item)
                else:
                    full = True
        ctx.fault(FaultKind.DATABASE_OUTAGE, f"postgres ({len(hog)} connections held)")
        await hog[0].execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname LIKE 'conveyor\\_%' AND pid <> pg_backend_pid()"
        )
        await ctx.hold_for(ctx.plan["hold_s"])

    async def heal(self, ctx: ChaosContext) -> None:
        hog: list[asyncpg.Connection] = ctx.notes.get("hog", [])
        await asyncio.gather(*(conn.close() for conn in hog), return_exceptions=True)
        for window in ctx.open_windows():
            ctx.end(window)


SCENARIO = ConnectionLimit()
