"""Run scenarios one after another, each under a steady checkout load, and judge them.

Per scenario: bring the stack back to its plan (every server up, every replica ready), seed
products, start the load, let it warm up, draw the plan from the run's seeded generator, inject,
heal (always, even when inject failed), keep the load going a little so "first success after the
fault" can be seen, stop it, then wait — bounded, with tenacity — until every accepted order is
terminal and its effects have settled (notification recorded, no hold left on a finished order).
Whatever is still not terminal then is lost. Then read the evidence and check the invariants.

The scenarios run in the registry's order with one `random.Random(seed)`, so the same SEED and
selection replays the same targets and timings. Nothing here decides pass or fail but the
invariants: a scenario that raised is reported with its error and fails the run too.
"""

from __future__ import annotations

import asyncio
import io
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from rich.console import Console
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception_type,
    stop_after_delay,
    wait_fixed,
)

from loadtests.chaos import collect, invariants
from loadtests.chaos.evidence import Evidence
from loadtests.chaos.load import Attempt, SteadyLoad
from loadtests.chaos.report import ScenarioResult
from loadtests.chaos.scenario import ChaosContext, Scenario
from operators.local.stack import LocalStack


@dataclass(frozen=True)
class Pace:
    rate_per_s: float = 8.0
    warm_up_s: float = 5.0
    after_s: float = 10.0  # load kept running after the heal
    settle_s: float = 120.0  # the bound on "every accepted order terminal"
    direct: bool = False  # orders to the order service instead of through the gateway


async def run_one(
    stack: LocalStack, scenario: Scenario, rng: random.Random, *, pace: Pace,
    log: Callable[[str], None],
) -> ScenarioResult:  # fmt: skip
    plan = scenario.plan(rng)
    result = ScenarioResult(scenario.name, plan)
    try:
        await asyncio.to_thread(restore, stack)
    except Exception as exc:  # reported, and fails the run; the next scenario tries again
        result.error = f"the stack did not come back before the scenario: {exc}"
        log(f"{scenario.name} not run: {result.error}")
        return result
    ctx = ChaosContext(stack=stack, log=log, plan=plan)
    load = SteadyLoad(stack, rate_per_s=pace.rate_per_s, direct=pace.direct)
    try:
        await load.seed()
    except Exception as exc:  # reported, and fails the run, as a stack that did not come back
        result.error = f"the checkout load could not be set up: {type(exc).__name__}: {exc}"
        log(f"{scenario.name} not run: {result.error}")
        return result
    load.start()
    try:
        await asyncio.sleep(pace.warm_up_s)  # pacing of the load, not synchronisation
        try:
            await scenario.inject(ctx)
        finally:
            await scenario.heal(ctx)
        await asyncio.sleep(pace.after_s)  # the load goes on after the heal: pacing, too
    except Exception as exc:  # reported, and fails the run
        result.error = f"{type(exc).__name__}: {exc}"
        log(f"{scenario.name} failed: {result.error}")
    finally:
        await load.stop()
    fault_end = max((w.ended_at or time.time() for w in ctx.faults), default=time.time())
    await settle(stack, load.accepted, within_s=pace.settle_s, log=log)
    found = await collect.evidence(stack, load.accepted, load.initial, ctx.faults)
    fill(result, found, load.attempts, fault_end)
    result.violations += await scenario.verify(ctx)
    slowest = max(ctx.restart_to_ready_s, default=None)
    result.restart_to_ready_s = None if slowest is None else round(slowest, 1)
    result.faults = [
        {"kind": w.kind.value, "target": w.target, "seconds": round(w.seconds, 1)}
        for w in ctx.faults
    ]
    return result


def restore(stack: LocalStack) -> None:
    """Every server up and every workload back to its plan, ready (idempotent)."""
    stack.workloads.reset()
    stack.up(Console(file=io.StringIO(), width=120))


class UnsettledError(Exception):
    pass


async def _unsettled(stack: LocalStack, order_ids: list[str]) -> None:
    """Raises while an accepted order is not terminal or its notification is still on its way."""
    order_db = await asyncpg.connect(stack.postgres.dsn("order"))
    notification_db = await asyncpg.connect(stack.postgres.dsn("notification"))
    try:
        done = await order_db.fetch(
            "SELECT order_id FROM orders WHERE order_id = ANY($1)"
            " AND status IN ('CONFIRMED', 'CANCELLED', 'SHIPPED')",
            order_ids,
        )
        notified = await notification_db.fetchval(
            "SELECT count(DISTINCT order_id) FROM notifications WHERE order_id = ANY($1)",
            [r["order_id"] for r in done],
        )
    finally:
        await order_db.close()
        await notification_db.close()
    if len(order_ids) - int(notified):
        raise UnsettledError(
            f"{len(order_ids) - len(done)} orders not terminal,"
            f" {len(done) - int(notified)} terminal without their notification"
        )


async def settle(
    stack: LocalStack, accepted: list[Attempt], *, within_s: float, log: Callable[[str], None]
) -> None:
    """Until every accepted order is terminal with its effects (bounded; the rest are lost)."""
    ids = [a.order_id for a in accepted if a.order_id is not None]
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_delay(within_s), wait=wait_fixed(0.5),
            retry=retry_if_exception_type((UnsettledError, OSError, asyncpg.PostgresError)),
        ):  # fmt: skip
            with attempt:
                await _unsettled(stack, ids)
    except RetryError as exc:
        log(f"gave up after {within_s:.0f} s: {exc.last_attempt.exception()}")


def fill(result: ScenarioResult, found: Evidence, attempts: list[Attempt], end: float) -> None:
    orders = found.orders
    result.accepted = sum(1 for a in attempts if a.order_id is not None)
    result.unacknowledged = len(orders) - result.accepted
    result.refused = sum(1 for a in attempts if a.order_id is None)
    for a in attempts:
        if a.order_id is None:
            result.refusals[a.answer] = result.refusals.get(a.answer, 0) + 1
    result.confirmed = sum(1 for o in orders if o.sold)
    result.compensated = sum(1 for o in orders if o.status == "CANCELLED")
    result.lost = sum(1 for o in orders if not o.terminal)
    result.double_charges = len(invariants.double_charged(found))
    result.oversold = invariants.oversold_units(found)
    result.stock_drift = sum(invariants.stock_drift(found).values())
    after = [o.terminal_at for o in orders if o.sold and o.terminal_at and o.terminal_at >= end]
    result.first_success_s = round(min(after) - end, 1) if after else None
    in_flight = [o for o in orders if o.accepted_at <= end]
    if in_flight and all(o.terminal_at for o in in_flight):
        last = max(o.terminal_at or 0.0 for o in in_flight)
        result.all_terminal_s = round(max(0.0, last - end), 1)
    result.violations = invariants.check(found)
