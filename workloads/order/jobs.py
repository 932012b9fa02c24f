"""The order service's background jobs: the broker watch, the step-timeout sweeper, and the
open-orders gauges (every OPEN_ORDERS_INTERVAL_S, from the order database; a database that is away
or does not answer within OPEN_ORDERS_TIMEOUT_S leaves the last values and is logged, the next
round tries again: a read can never hang the gauges for good).

Every saga step has a deadline; an expired one triggers the saga (`handlers.time_out_overdue_steps`,
safe to run on every replica at once). The sweeper sweeps again at once while it finds work and
rests `timeout_scan_interval_s` when there is none. It fires no timeout until the broker has been
reachable without a break for a full step timeout and at least `saga_broker_recovery_s`
(`adapters.broker`): an outage of the platform's own broker, or this process having just
started, never cancels a customer's order; a dependency
that does not answer with the broker up still times out as before. The database is held to the
same rule: while it does not answer (stopped, restarting, out of connection slots) the sweeper
neither crashes nor fires, and it must answer for the same period before timeouts resume. When a
hold ends, every step still waiting gets a full step timeout from then (`restart_step_clocks`):
commands that waited in an outbox, or replies queued behind a backlog, are not timed out for a
delay the outage caused (ADR 0025; the chaos suite's kafka_restart scenario found it). With
the broker and the database up, a due step fires only if its command was consumed and no reply
waits for us: the dependency's consumer group has no lag on the command's partition, nor ours on
the reply's (`adapters.lag`, asked once per sweep that finds a due step; ADR 0019). A dependency
cut off from a broker we still reach (proxy-latency, partition) thus holds its steps too. Both jobs
are crash-only like every background task (`workloads.shared.runtime`): an unexpected error ends
the process and the supervisor restarts it; a failure on one order is handled inside the sweep
(`handlers`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

import asyncpg
from aiokafka.errors import KafkaError

from workloads.order import handlers, projection
from workloads.order import metrics as saga_metrics
from workloads.order.adapters import broker, lag, store
from workloads.order.domain.order import Step
from workloads.order.settings import OrderSettings
from workloads.shared.database import UNREACHABLE as DATABASE_UNREACHABLE
from workloads.shared.runtime import Runtime

log = logging.getLogger(__name__)
OPEN_ORDERS_INTERVAL_S = 5.0  # the local Prometheus scrapes every 5 s
OPEN_ORDERS_TIMEOUT_S = 5.0  # a pool slot and one indexed count, or the round is skipped
_OPEN_ORDERS_SKIPPED: tuple[type[BaseException], ...] = (
    *DATABASE_UNREACHABLE,
    asyncpg.PostgresError,
)


async def watch_open_orders(
    runtime: Runtime,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    timeout_s: float = OPEN_ORDERS_TIMEOUT_S,
) -> None:
    while True:
        try:
            async with asyncio.timeout(timeout_s), runtime.pool.acquire() as conn:
                count, oldest_s = await store.open_orders(conn)
        except _OPEN_ORDERS_SKIPPED as exc:
            log.warning("counting open orders failed; gauges keep their last values: %r", exc)
        else:
            saga_metrics.open_orders.set(count)
            saga_metrics.open_oldest_age.set(oldest_s)
        await sleep(OPEN_ORDERS_INTERVAL_S)


def queued_by(
    backlog: lag.Backlog,
    *,
    max_wait_s: float,
    quiet_s: float = 0.0,
    queues_of_step: Mapping[Step, Sequence[lag.Queue]] = lag.QUEUES_OF_STEP,
) -> handlers.Queued:
    """Queued: the step's command or reply waits in Kafka (or its partition was busy within
    `quiet_s`, one step timeout), and the step has not waited `max_wait_s` yet."""

    def queued(step: Step, order_id: str, waited_s: float) -> bool:
        return waited_s < max_wait_s and backlog.waiting(
            queues_of_step[step], order_id, quiet_s=quiet_s
        )

    return queued


async def backlog_now(reader: lag.LagReader) -> lag.Backlog:
    """A snapshot of the saga's queues; `UNKNOWN` (everything counts as queued) if Kafka fails."""
    try:
        return await reader.snapshot()
    except (KafkaError, OSError, TimeoutError) as exc:
        log.warning("consumer lag unknown, due steps deferred: %r", exc)
        return lag.UNKNOWN


async def sweep_timeouts(
    runtime: Runtime,
    settings: OrderSettings,
    *,
    reachability: broker.Reachability,
    database: broker.Reachability | None = None,
    lags: lag.LagReader | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,  # tests pass fake time
) -> None:
    database = database or broker.Reachability(clock=reachability.clock)
    lags = lags or lag.LagReader(runtime.kafka)
    steady = max(settings.saga_step_timeout_s, settings.saga_broker_recovery_s)
    held = True  # a new process knows nothing yet: it starts held

    while True:
        swept = 0
        try:
            if reachability.steady_for(steady) and database.steady_for(steady):
                if held:  # the hold is over: every waiting step gets a full step from now
                    moved = await handlers.restart_step_clocks(
                        runtime.pool, step_timeout_s=settings.saga_step_timeout_s
                    )
                    log.info("step timeouts resume; %d waiting steps get a full step", moved)
                    held = False
                saga_metrics.timeouts_paused.set(0)
                if await handlers.any_overdue(runtime.pool):  # Kafka is asked only then
                    backlog = await backlog_now(lags)
                    swept = await handlers.time_out_overdue_steps(
                        runtime.pool,
                        step_timeout_s=settings.saga_step_timeout_s,
                        retries=settings.saga_compensation_retries,
                        backoff_max_s=settings.saga_retry_backoff_max_s,
                        queued=queued_by(
                            backlog,
                            max_wait_s=settings.saga_queue_wait_max_s,
                            quiet_s=settings.saga_step_timeout_s,
                        ),
                    )
            else:
                held = True
                saga_metrics.timeouts_paused.set(1)
                await handlers.database_answers(runtime.pool)
            database.succeeded()
        except DATABASE_UNREACHABLE as exc:
            if database.steady_for(0):
                log.warning("database unreachable, step timeouts held back: %r", exc)
            database.failed()
            held = True
            saga_metrics.timeouts_paused.set(1)
        if swept == 0:
            await sleep(settings.timeout_scan_interval_s)


def build(runtime: Runtime) -> Sequence[tuple[str, Awaitable[None]]]:
    settings = runtime.settings
    if not isinstance(settings, OrderSettings):
        raise TypeError("the timeout sweeper needs OrderSettings")
    reachability = broker.Reachability()
    client = runtime.producer.client

    async def probe() -> None:
        await broker.leaders_known(client)

    return [
        (
            "broker-watch",
            broker.watch(
                reachability,
                probe,
                interval_s=settings.broker_probe_interval_s,
                timeout_s=settings.broker_probe_timeout_s,
            ),
        ),
        ("saga-timeouts", sweep_timeouts(runtime, settings, reachability=reachability)),
        ("open-orders", watch_open_orders(runtime)),
        ("projection", projection.run(runtime.pool, interval_s=settings.projection_interval_s)),
    ]
