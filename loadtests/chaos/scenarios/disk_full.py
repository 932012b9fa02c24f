"""(10) A full disk under PostgreSQL: its WAL on a small tmpfs, filled, then space freed.

Plan: how long the disk stays full (10-20 s). PostgreSQL's WAL moves onto a tmpfs the suite
mounts (a restart of the server around it, not part of the fault), a filler file takes every free
byte, and commits fail until it is deleted; a server that stopped on the full disk is started
again once space is back. Heal moves the WAL back onto the real disk and unmounts the tmpfs.
"""

from __future__ import annotations

import asyncio
import io
import random
from typing import Any

from rich.console import Console

from loadtests.chaos.scenario import ChaosContext, FaultKind, Scenario
from operators.local.faults.disks import FullWalDisk, requirements
from operators.local.installs import ensure_installed


class DiskFull(Scenario):
    name = "disk-full"
    summary = "PostgreSQL's WAL disk full (a small tmpfs), then space freed"

    def plan(self, rng: random.Random) -> dict[str, Any]:
        return {"seconds": round(rng.uniform(10, 20), 1)}

    async def inject(self, ctx: ChaosContext) -> None:
        console = Console(file=io.StringIO())
        disk = FullWalDisk(ctx.stack.postgres)
        ensure_installed(requirements(), console)
        await asyncio.to_thread(disk.mount, console)
        window = ctx.fault(FaultKind.DATABASE_OUTAGE, "postgres wal disk full")
        ctx.notes["filled_bytes"] = await asyncio.to_thread(disk.fill)
        ctx.notes["postgres_error"] = await asyncio.to_thread(disk.exhaust)
        await ctx.hold_for(ctx.plan["seconds"])
        disk.free()
        # A server that stopped on the full disk starts again now that there is room.
        await asyncio.to_thread(ctx.stack.postgres.start, console)
        ctx.end(window)

    async def heal(self, ctx: ChaosContext) -> None:
        console = Console(file=io.StringIO())
        await asyncio.to_thread(FullWalDisk(ctx.stack.postgres).restore, console)
        for window in ctx.open_windows():
            ctx.end(window)


SCENARIO = DiskFull()
