"""The outbox's backlog as gauges, read from the database by every replica, relay or not.

`conveyor_outbox_backlog` (rows not yet published), `conveyor_outbox_oldest_age_seconds` (how long
the oldest of them has waited, 0 when none) and `conveyor_outbox_dead_letter_rows` (rows parked)
are refreshed every `interval_s` by `watch`. Only one replica relays at a time (an advisory lock)
and the relay is busiest exactly when a backlog builds, so the gauges are not the relay's to set:
each replica reads the same tables and exports the same values (read them with max()). A
database error leaves the last values and is logged; the next round tries again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from workloads.shared import metrics
from workloads.shared.database import Pool

log = logging.getLogger(__name__)
INTERVAL_S = 5.0  # the local Prometheus scrapes every 5 s


async def refresh(pool: Pool) -> None:
    """Read the outbox once and set the gauges."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT count(*) AS waiting,"
            " COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest,"
            " (SELECT count(*) FROM outbox_dead_letters) AS parked"
            " FROM outbox"
        )
    if row is None:  # pragma: no cover - an aggregate always answers one row
        return
    metrics.outbox_backlog.set(row["waiting"])
    metrics.outbox_oldest_age.set(row["oldest"])
    metrics.outbox_parked.set(row["parked"])


async def watch(
    pool: Pool,
    *,
    interval_s: float = INTERVAL_S,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    while True:
        try:
            await refresh(pool)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("reading the outbox backlog failed; gauges keep their values: %s", exc)
        await sleep(interval_s)
