"""The expiry pass against a real PostgreSQL: it releases only what inventory knows cancelled.

These run in inventory's own database, beside the running service, on products and orders of
their own; the service's expiry job may run at the same time and must come to the same result.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from pydantic import SecretStr

from operators.local.stack import LocalStack
from workloads.contracts import events as ev
from workloads.inventory import handlers, stock
from workloads.shared.database import DatabaseSettings, Pool, create_pool, transaction

TTL_S = 300.0


@pytest.fixture
async def pool(stack: LocalStack) -> AsyncIterator[Pool]:
    pool = await create_pool(DatabaseSettings(url=SecretStr(stack.postgres.dsn("inventory"))))
    try:
        yield pool
    finally:
        await pool.close()


async def _product(pool: Pool, available: int) -> str:
    product = f"sku-{uuid.uuid4().hex[:12]}"
    async with transaction(pool) as conn:
        await stock.set_level(conn, product, available=available, price_cents=100)
    return product


async def _reserve(pool: Pool, product: str, quantity: int = 1) -> str:
    order_id = f"expiry-{uuid.uuid4()}"
    line = ev.OrderLine(product_id=product, quantity=quantity)
    async with transaction(pool) as conn:
        reply = await stock.reserve(conn, order_id, [line], TTL_S)
    assert isinstance(reply, ev.InventoryReserved), reply
    return order_id


async def _age(pool: Pool, order_ids: list[str]) -> None:
    await pool.execute(
        "UPDATE reservations SET expires_at = now() - interval '1 second' WHERE order_id = ANY($1)",
        order_ids,
    )


async def _statuses(pool: Pool, order_ids: list[str]) -> dict[str, str]:
    rows = await pool.fetch(
        "SELECT order_id, status FROM reservations WHERE order_id = ANY($1)", order_ids
    )
    return {row["order_id"]: row["status"] for row in rows}


async def _available(pool: Pool, product: str) -> int:
    available: int = await pool.fetchval(
        "SELECT available FROM products WHERE product_id = $1", product
    )
    return available


async def _confirm(pool: Pool, order_id: str) -> None:
    confirmed = ev.OrderConfirmedV1(order_id=order_id, customer_id="c", total_cents=100)
    async with transaction(pool) as conn:
        await handlers.keep_for_confirmed(conn, confirmed)


async def test_expiry_racing_confirmations_never_releases_a_confirmed_order(pool: Pool) -> None:
    product = await _product(pool, available=100)
    orders = [await _reserve(pool, product) for _ in range(40)]
    confirmed_first, racing = orders[:20], orders[20:]
    for order_id in confirmed_first:  # the confirmation applied before the TTL ran out
        await _confirm(pool, order_id)
    await _age(pool, orders)

    async def expiry_passes() -> None:
        for _ in range(20):
            await handlers.release_expired(pool)
            await asyncio.sleep(0)  # interleave with the confirmations

    async def late_confirmations() -> None:  # applied as the expiry passes run
        for order_id in random.Random(10).sample(racing, len(racing)):
            await _confirm(pool, order_id)
            await asyncio.sleep(0)

    await asyncio.gather(expiry_passes(), late_confirmations())
    await handlers.release_expired(pool)

    statuses = await _statuses(pool, orders)
    released = sorted(o for o, status in statuses.items() if status != "committed")
    assert not released, f"{len(released)} confirmed orders went back on sale: {released[:3]}"
    assert await _available(pool, product) == 60


async def test_an_overdue_hold_is_reported_and_kept_until_its_order_is_cancelled(
    pool: Pool,
) -> None:
    product = await _product(pool, available=5)
    order_id = await _reserve(pool, product, quantity=2)
    await _age(pool, [order_id])

    await handlers.release_expired(pool)
    assert await _statuses(pool, [order_id]) == {order_id: "held"}
    overdue = await handlers.overdue(pool, limit=100_000)
    assert order_id in overdue.oldest
    assert overdue.count >= 1

    async with transaction(pool) as conn:
        cancelled = ev.OrderCancelled(order_id=order_id, customer_id="c", reason="r")
        await handlers.note_cancelled(conn, cancelled)
    assert order_id not in (await handlers.overdue(pool, limit=100_000)).oldest
    await handlers.release_expired(pool, limit=100_000)
    assert await _statuses(pool, [order_id]) == {order_id: "released"}
    assert await _available(pool, product) == 5


async def test_a_cancelled_order_s_hold_waits_for_its_ttl_to_expire(pool: Pool) -> None:
    product = await _product(pool, available=5)
    order_id = await _reserve(pool, product, quantity=2)
    async with transaction(pool) as conn:
        cancelled = ev.OrderCancelled(order_id=order_id, customer_id="c", reason="r")
        await handlers.note_cancelled(conn, cancelled)
    await handlers.release_expired(pool, limit=100_000)
    assert await _statuses(pool, [order_id]) == {order_id: "held"}, "released before its TTL"


async def test_a_reservation_arriving_after_the_cancellation_is_refused(pool: Pool) -> None:
    product = await _product(pool, available=5)
    order_id = f"expiry-{uuid.uuid4()}"
    async with transaction(pool) as conn:
        cancelled = ev.OrderCancelled(order_id=order_id, customer_id="c", reason="r")
        await handlers.note_cancelled(conn, cancelled)
        line = ev.OrderLine(product_id=product, quantity=1)
        reply = await stock.reserve(conn, order_id, [line], TTL_S)
    assert isinstance(reply, ev.InventoryReservationFailed), reply
    assert await _available(pool, product) == 5


async def test_a_batch_lock_takes_every_product_it_names_and_those_released_orders_hold(
    pool: Pool,
) -> None:
    reserved, named, other = [await _product(pool, available=5) for _ in range(3)]
    releasing = await _reserve(pool, reserved)
    async with transaction(pool) as conn:
        await handlers.lock_for_batch(conn, products=[named], releasing=[releasing])
        async with pool.acquire() as probe:
            for product, locked in ((reserved, True), (named, True), (other, False)):
                try:
                    await probe.execute(
                        "SELECT 1 FROM products WHERE product_id = $1 FOR NO KEY UPDATE NOWAIT",
                        product,
                    )
                    taken = False
                except asyncpg.LockNotAvailableError:
                    taken = True
                assert taken is locked, f"{product}: locked {taken}, expected {locked}"
