"""The outbox backlog gauges read the truth from the database, whoever relays.

Rows waiting in a scratch outbox (no relay runs on it) must show as the backlog and the age of
the oldest; parked rows as parked. Before, the backlog was set by the relay only when it was
idle, so it read 0 exactly while rows waited, and only on the replica holding the relay lock.
"""

from __future__ import annotations

import asyncpg
from prometheus_client import REGISTRY
from pydantic import SecretStr

from workloads.shared.database import DatabaseSettings, create_pool
from workloads.shared.messaging import backlog


def _gauge(name: str) -> float:
    value = REGISTRY.get_sample_value(name)
    assert value is not None, f"{name} is not exported"
    return value


async def test_waiting_rows_show_as_backlog_with_the_oldest_ones_age(outbox_dsn: str) -> None:
    conn = await asyncpg.connect(outbox_dsn)
    try:
        await conn.execute(
            "INSERT INTO outbox (topic, key, value, headers, created_at) VALUES"
            " ('t', 'k1', 'v', '{}', now() - interval '90 seconds'),"
            " ('t', 'k2', 'v', '{}', now())"
        )
        await conn.execute(
            "INSERT INTO outbox_dead_letters (id, topic, key, value, headers, created_at, error)"
            " VALUES (999, 't', 'k0', 'v', '{}', now(), 'record too large')"
        )
    finally:
        await conn.close()
    pool = await create_pool(DatabaseSettings(url=SecretStr(outbox_dsn)))
    try:
        await backlog.refresh(pool)
    finally:
        await pool.close()
    assert _gauge("conveyor_outbox_backlog") == 2
    assert 90 <= _gauge("conveyor_outbox_oldest_age_seconds") < 150
    assert _gauge("conveyor_outbox_dead_letter_rows") == 1
