"""The step-timeout sweeper: every saga step has a deadline; an expired one triggers the saga.

Rows are claimed with `FOR UPDATE SKIP LOCKED`, so several replicas sweep without doing the same
order twice, and an order being handled by a consumer right now is simply skipped this round.
"""

from __future__ import annotations

import asyncio
import logging

from workloads.order.adapters import store
from workloads.order.domain.order import Step
from workloads.order.domain.saga import StepTimedOut
from workloads.order.settings import OrderSettings
from workloads.shared.database import transaction
from workloads.shared.runtime import Runtime

log = logging.getLogger(__name__)


async def sweep_once(runtime: Runtime, settings: OrderSettings, limit: int = 50) -> int:
    async with transaction(runtime.pool) as conn:
        rows = await conn.fetch(
            "SELECT order_id, saga_step FROM orders WHERE deadline < now()"
            " ORDER BY deadline LIMIT $1 FOR UPDATE SKIP LOCKED",
            limit,
        )
        for row in rows:
            state = await store.load(conn, row["order_id"], lock=False)
            if state is None or state.step is None:
                continue
            log.warning("order %s timed out in %s", state.order_id, state.step.value)
            await store.handle(
                conn,
                state,
                StepTimedOut(Step(row["saga_step"])),
                cause=None,
                correlation_id=f"timeout-{state.order_id}",
                step_timeout_s=settings.saga_step_timeout_s,
            )
    return len(rows)


async def run(runtime: Runtime) -> None:
    settings = runtime.settings
    if not isinstance(settings, OrderSettings):
        raise TypeError("the timeout sweeper needs OrderSettings")
    while True:
        if await sweep_once(runtime, settings) == 0:
            await asyncio.sleep(settings.timeout_scan_interval_s)
