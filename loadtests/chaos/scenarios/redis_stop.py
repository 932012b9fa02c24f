"""(13) Redis stopped under browse and checkout load, then started: catalog reads are still served.

The catalog reads through a cache-aside over Redis behind a circuit breaker (ADR 0021): with
Redis gone the breaker opens and reads go to PostgreSQL; once Redis is back a half-open probe
closes it. So besides the checkout invariants every scenario has, this one brings its own load
and three checks of its own (`verify`): every catalog read during the run answered 200, the
breaker was seen open while Redis was down, and it closed again after the restart (within
`CLOSE_WITHIN_S`, while the browse load keeps asking). The breaker is watched from the heal on,
not from `verify`: that runs only after the runner's settle wait, which once reported a breaker
closed 1.6 s after the restart as closed 11.8 s after it (and would pass one that closed late).
Plan: how long Redis stays down.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from loadtests.chaos.browse import BrowseLoad
from loadtests.chaos.faults import start_server, stop_server
from loadtests.chaos.scenario import ChaosContext, FaultKind, Scenario
from loadtests.chaos.violations import Violation

OPEN = 2.0  # conveyor_circuit_breaker_state: 0 closed, 1 half-open, 2 open
CLOSE_WITHIN_S = 60.0
WARM_UP_S = 2.0


async def breaker_state(ctx: ChaosContext) -> float | None:
    """The catalog's Redis breaker as its /metrics says (None: no answer, or no such series)."""
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            text = (await http.get(f"{ctx.workloads.url('catalog')}/metrics")).text
    except httpx.HTTPError:
        return None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "conveyor_circuit_breaker_state" and sample.labels == {
                "target": "redis"
            }:
                return float(sample.value)
    return None


class RedisStopped(Scenario):
    name = "redis_stop"
    summary = "Redis stopped under browse load: reads served, breaker opens, then closes"

    def plan(self, rng: random.Random) -> dict[str, Any]:
        return {"down_s": rng.randint(15, 25)}

    async def inject(self, ctx: ChaosContext) -> None:
        browse = BrowseLoad(ctx.workloads.url("catalog"))
        ctx.notes["browse"] = browse
        browse.start()
        await ctx.hold_for(WARM_UP_S)  # the cache warm before the fault
        await stop_server(ctx.stack.redis)
        ctx.fault(FaultKind.CACHE_OUTAGE, "redis")
        deadline = time.monotonic() + ctx.plan["down_s"]
        seen: set[float] = set()
        while time.monotonic() < deadline:  # sample the breaker through the outage
            state = await breaker_state(ctx)
            if state is not None:
                seen.add(state)
            await ctx.hold_for(0.5)
        ctx.notes["breaker_states_down"] = sorted(seen)

    async def heal(self, ctx: ChaosContext) -> None:
        try:
            await start_server(ctx.stack.redis)
        finally:
            for window in ctx.open_windows():
                ctx.end(window)
            ctx.notes["healed_at"] = time.time()
            # watched from now on, while the browse load keeps probing it
            ctx.notes["closing"] = asyncio.create_task(_closed_within(ctx, CLOSE_WITHIN_S))

    async def verify(self, ctx: ChaosContext) -> list[Violation]:
        browse: BrowseLoad | None = ctx.notes.pop("browse", None)
        closing: asyncio.Task[float | None] | None = ctx.notes.pop("closing", None)
        if browse is None:
            if closing is not None:
                closing.cancel()
            return [Violation("browse served", (), "the browse load never started")]
        violations = []
        try:
            closed = None if closing is None else await closing
        finally:
            await browse.stop()
        ctx.notes["browse_reads"] = len(browse.reads)
        if OPEN not in ctx.notes.get("breaker_states_down", []):
            violations.append(Violation("breaker opened", ("redis",), "never seen open"))
        if closed is None:
            late = f"not closed {CLOSE_WITHIN_S:.0f} s after the heal"
            violations.append(Violation("breaker closed", ("redis",), late))
        else:
            since = closed - ctx.notes.get("healed_at", closed)
            ctx.notes["breaker_closed_after_heal_s"] = round(since, 1)
            ctx.log(f"breaker closed {since:.1f} s after Redis was back")
        failed = browse.failures()
        if failed:
            ids = tuple(f"{r.path}@{r.at:.1f}={r.outcome}" for r in failed)
            violations.append(Violation("browse served", ids, f"{len(failed)} reads failed"))
        return violations


async def _closed_within(ctx: ChaosContext, within_s: float) -> float | None:
    """When (time.time()) the breaker was first read closed (0) within `within_s`, or None."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if await breaker_state(ctx) == 0.0:
            return time.time()
        await asyncio.sleep(0.5)  # the poll interval of an observed state
    return None


SCENARIO = RedisStopped()
