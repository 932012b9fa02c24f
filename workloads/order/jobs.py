"""The order service's background job: the step-timeout sweeper.

Every saga step has a deadline; an expired one triggers the saga (`handlers.time_out_overdue_steps`,
safe to run on every replica at once). The sweeper sweeps again at once while it finds work and
rests `timeout_scan_interval_s` when there is none. It is crash-only like every background task
(`workloads.shared.runtime`): an unexpected error ends the process and the supervisor restarts it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence

from workloads.order import handlers
from workloads.order.settings import OrderSettings
from workloads.shared.runtime import Runtime


async def sweep_timeouts(runtime: Runtime, settings: OrderSettings) -> None:
    while True:
        swept = await handlers.time_out_overdue_steps(
            runtime.pool, step_timeout_s=settings.saga_step_timeout_s
        )
        if swept == 0:
            await asyncio.sleep(settings.timeout_scan_interval_s)


def build(runtime: Runtime) -> Sequence[tuple[str, Awaitable[None]]]:
    settings = runtime.settings
    if not isinstance(settings, OrderSettings):
        raise TypeError("the timeout sweeper needs OrderSettings")
    return [("saga-timeouts", sweep_timeouts(runtime, settings))]
