"""Outbox rows appended inside a transaction() block: one INSERT before the commit, in order.

Against a scratch database with the shared outbox table (conftest.py), where no relay runs.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from pydantic import SecretStr

from workloads.contracts import events as ev
from workloads.shared.database import (
    Connection,
    DatabaseSettings,
    Pool,
    create_pool,
    savepoint,
    stage,
    transaction,
)
from workloads.shared.messaging import outbox
from workloads.shared.messaging.envelope import Envelope


@pytest.fixture
async def pool(outbox_dsn: str) -> AsyncIterator[Pool]:
    pool = await create_pool(DatabaseSettings(url=SecretStr(outbox_dsn)))
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def key() -> str:
    return f"staging-{uuid.uuid4().hex[:12]}"


def _event(n: int) -> Envelope:
    return Envelope.wrap(
        ev.OrderCancelled(order_id=f"o{n}", customer_id="c", reason=f"r{n}"), correlation_id="s"
    )


async def _rows(pool: Pool, key: str) -> list[str]:
    rows = await pool.fetch("SELECT value FROM outbox WHERE key = $1 ORDER BY id", key)
    return [Envelope.from_value(r["value"]).read_as(ev.OrderCancelled).order_id for r in rows]


def _count_outbox_inserts(conn: Connection) -> list[str]:
    seen: list[str] = []

    def logged(query: Any) -> None:
        if query.query.startswith("INSERT INTO outbox"):
            seen.append(query.query)

    conn.add_query_logger(logged)
    return seen


async def test_appends_in_a_transaction_are_one_insert_at_commit_in_append_order(
    pool: Pool, key: str
) -> None:
    async with transaction(pool) as conn:
        inserts = _count_outbox_inserts(conn)
        for n in range(5):
            await outbox.append(conn, _event(n), key=key)
        assert inserts == []  # nothing written yet: the rows wait for the commit
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE key = $1", key) == 0
    assert len(inserts) == 1
    assert await _rows(pool, key) == ["o0", "o1", "o2", "o3", "o4"]


async def test_a_rolled_back_savepoint_drops_its_rows_and_keeps_the_others(
    pool: Pool, key: str
) -> None:
    async def undone(conn: Connection) -> None:
        async with savepoint(conn):
            await outbox.append(conn, _event(2), key=key)
            raise ValueError("undo")

    async with transaction(pool) as conn:
        await outbox.append(conn, _event(1), key=key)
        with pytest.raises(ValueError, match="undo"):
            await undone(conn)
        async with savepoint(conn):
            await outbox.append(conn, _event(3), key=key)
    assert await _rows(pool, key) == ["o1", "o3"]


async def test_a_rolled_back_transaction_writes_no_row(pool: Pool, key: str) -> None:
    async def failing() -> None:
        async with transaction(pool) as conn:
            await outbox.append(conn, _event(1), key=key)
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await failing()
    assert await _rows(pool, key) == []


async def test_a_failing_flush_rolls_the_whole_transaction_back_and_raises(
    pool: Pool, key: str
) -> None:
    async def refuse(conn: Connection, rows: Sequence[Any]) -> None:
        raise RuntimeError(f"refused {len(rows)} rows")

    async def flushed() -> None:
        async with transaction(pool) as conn:
            await outbox.append(conn, _event(1), key=key)
            assert stage(conn, refuse, "x")

    with pytest.raises(RuntimeError, match="refused 1 rows"):
        await flushed()
    assert await _rows(pool, key) == []


async def test_outside_a_transaction_block_the_row_is_written_at_once(pool: Pool, key: str) -> None:
    async with pool.acquire() as conn:
        await outbox.append(conn, _event(1), key=key)
        assert await _rows(pool, key) == ["o1"]
    async with transaction(pool) as outer, pool.acquire() as other:
        assert not stage(other, outbox.write, ("t", key, b"", "{}"))  # another connection
        await outbox.append(other, _event(2), key=key)
        assert await outer.fetchval("SELECT count(*) FROM outbox WHERE key = $1", key) == 2
