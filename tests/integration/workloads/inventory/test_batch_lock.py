"""A consumer batch waits its turn for a hot product's lock instead of timing out and rolling back.

After a broker outage the inventory consumer meets a backlog: every partition's batch (tens of
commands, one transaction) locks the same hot products, so all but one wait in line, longer than
the statement timeout that bounds every other statement. Timing out there threw the batch away and
applied its commands one by one (chaos kafka_stop: eight batches of 30-121 commands in 30 s).
Against inventory's real database, with the timeouts scaled down.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from operators.local.stack import LocalStack
from tests.support.eventually import eventually
from workloads.inventory import handlers, stock
from workloads.shared.database import DatabaseSettings, Pool, create_pool, transaction

TIMEOUT_S = 0.5  # every statement's bound, client and server, in this test's pool


@pytest.fixture
async def pool(stack: LocalStack) -> AsyncIterator[Pool]:
    settings = DatabaseSettings(
        url=SecretStr(stack.postgres.dsn("inventory")),
        command_timeout_s=TIMEOUT_S,
        statement_timeout_ms=round(TIMEOUT_S * 1000),
    )
    pool = await create_pool(settings)
    try:
        yield pool
    finally:
        await pool.close()


async def test_a_batch_waits_for_the_product_lock_longer_than_a_statement_may_take(
    pool: Pool,
) -> None:
    product = f"sku-{uuid.uuid4().hex[:12]}"
    async with transaction(pool) as conn:
        await stock.set_level(conn, product, available=5, price_cents=100)
    holder_locked, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:  # the batch ahead in line
        async with transaction(pool) as conn:
            await handlers.lock_for_batch(conn, products=[product], releasing=[])
            holder_locked.set()
            await release.wait()

    async def waiter() -> str:  # the next batch: same product
        async with transaction(pool) as conn:
            await handlers.lock_for_batch(conn, products=[product], releasing=[])
            return "locked"

    first = asyncio.create_task(holder())
    await holder_locked.wait()
    second = asyncio.create_task(waiter())

    async def waited_past_the_timeout() -> None:
        if second.done():  # it gave up: the batch would have been rolled back
            pytest.fail(f"the batch stopped waiting: {second.exception()!r}")
        waited = await pool.fetchval(
            "SELECT extract(epoch FROM now() - query_start) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT 1 FROM products%'"
            " ORDER BY query_start LIMIT 1"
        )
        assert waited is not None, "not waiting for the lock yet"
        assert waited > 3 * TIMEOUT_S, f"waiting for {waited} s"

    try:
        await eventually(waited_past_the_timeout, within_s=30)
    except AssertionError:
        release.set()
        await asyncio.gather(first, second, return_exceptions=True)
        raise
    release.set()
    await first
    assert await second == "locked"
