"""Hot products: many orders over five products, applied in big batches on every partition at once.

Inventory is held down while the orders arrive, so its consumer comes back to a backlog on all six
partitions and applies it in large batches concurrently: the case where batches taking product
locks in arbitrary order deadlock. PostgreSQL's own counter (`pg_stat_database.deadlocks`) is the
witness; it is read with no inventory session open, so every backend has flushed its statistics.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter

import asyncpg
import httpx

from operators.local.stack import LocalStack
from tests.e2e.workloads.saga_client import SUCCEEDED, TERMINAL, SagaClient
from tests.support.eventually import eventually

HOT_PRODUCTS = 5
UNITS_EACH = 60
ORDERS = 400


async def test_hot_products_under_concurrent_batches_never_deadlock_nor_oversell(
    client: SagaClient, workloads_restored: LocalStack
) -> None:
    stack = workloads_restored
    stack.workloads.set_env("order", {"SAGA_STEP_TIMEOUT_S": "300"})  # inventory is held a while
    stack.workloads.restart("order", stack.settings.stop_timeout_s)
    await asyncio.to_thread(stack.wait_for_workloads, client.quiet_console())
    products = [await client.seed(available=UNITS_EACH) for _ in range(HOT_PRODUCTS)]

    stack.workloads.hold("inventory", 0)
    before = await _deadlocks_with_inventory_gone(stack)
    draw = random.Random(10)
    baskets = [draw.sample(products, draw.randint(1, 3)) for _ in range(ORDERS)]
    cards = ["tok_decline" if i % 7 == 0 else "tok_visa" for i in range(ORDERS)]
    orders = await asyncio.gather(
        *(_place(client, basket, card) for basket, card in zip(baskets, cards, strict=True))
    )

    stack.workloads.release("inventory", 0)
    await asyncio.to_thread(stack.wait_for_workloads, client.quiet_console())
    finals = await _all_terminal(stack, orders)

    stack.workloads.hold("inventory", 0)
    after = await _deadlocks_with_inventory_gone(stack)
    assert after - before == 0, f"{after - before} deadlocks in the inventory database"

    sold: Counter[str] = Counter()
    for order_id, basket in zip(orders, baskets, strict=True):
        assert finals[order_id] in SUCCEEDED | {"CANCELLED"}, (order_id, finals[order_id])
        if finals[order_id] in SUCCEEDED:
            sold.update(basket)
    assert sold, "no order confirmed"
    conn = await asyncpg.connect(stack.postgres.dsn("inventory"))
    try:
        rows = await conn.fetch(
            "SELECT p.product_id, p.available,"
            " coalesce(sum(r.quantity) FILTER (WHERE r.status = 'held'), 0) AS held,"
            " coalesce(sum(r.quantity) FILTER (WHERE r.status = 'committed'), 0) AS committed"
            " FROM products p LEFT JOIN reservations r USING (product_id)"
            " WHERE p.product_id = ANY($1) GROUP BY p.product_id",
            products,
        )
    finally:
        await conn.close()
    for row in rows:
        product = row["product_id"]
        assert row["held"] == 0, f"{product}: units still held by terminal orders"
        assert row["committed"] == sold[product], f"{product}: sold {sold[product]}, {row}"
        assert row["available"] + row["committed"] == UNITS_EACH, f"{product}: stock drift {row}"


async def _place(client: SagaClient, basket: list[str], card: str) -> str:
    response = await client.http.post(
        client.url("order", "/v1/orders"),
        json={
            "customer_id": "hot-buyer",
            "items": [{"product_id": product, "quantity": 1} for product in basket],
            "payment": {"card_token": card},
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
        timeout=httpx.Timeout(60),
    )
    assert response.status_code == 202, response.text
    order_id: str = response.json()["order_id"]
    return order_id


async def _all_terminal(stack: LocalStack, orders: list[str]) -> dict[str, str]:
    """Every order's final status, read from the order service's read model in one query."""
    conn = await asyncpg.connect(stack.postgres.dsn("order"))

    async def terminal() -> dict[str, str]:
        rows = await conn.fetch(
            "SELECT order_id, status FROM orders WHERE order_id = ANY($1)", orders
        )
        statuses = {row["order_id"]: row["status"] for row in rows}
        pending = [o for o in orders if statuses.get(o) not in TERMINAL]
        assert not pending, f"{len(pending)} orders not terminal yet, e.g. {pending[:3]}"
        return statuses

    try:
        return await eventually(terminal, within_s=180, every_s=0.5)
    finally:
        await conn.close()


async def _deadlocks_with_inventory_gone(stack: LocalStack) -> int:
    """The database's deadlock count once no inventory session is left (each flushed on exit)."""
    conn = await asyncpg.connect(stack.postgres.dsn("inventory"))
    try:

        async def no_other_session() -> None:
            others = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert others == 0, f"{others} inventory sessions still open"

        await eventually(no_other_session, within_s=30, every_s=0.2)
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        deadlocks: int = await conn.fetchval(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        )
        return deadlocks
    finally:
        await conn.close()
