"""Contention and scaling: no oversell under any concurrency, nothing lost when replicas change."""

from __future__ import annotations

import asyncio
import io

import asyncpg
import httpx
from rich.console import Console

from operators.local.stack import LocalStack
from tests.e2e.workloads.saga_client import SUCCEEDED, SagaClient
from tests.support.eventually import eventually


async def test_200_concurrent_orders_for_50_units_confirm_exactly_50(client: SagaClient) -> None:
    product = await client.seed(available=50)
    orders = await asyncio.gather(*(client.place_ok(product, 1) for _ in range(200)))
    finals = await asyncio.gather(*(client.wait_terminal(o, timeout_s=120) for o in orders))
    statuses = [f["status"] for f in finals]
    assert sum(status in SUCCEEDED for status in statuses) == 50
    assert statuses.count("CANCELLED") == 150
    assert all(
        "insufficient stock" in f["cancel_reason"] for f in finals if f["status"] == "CANCELLED"
    )
    stock = await client.stock(product)
    assert stock["available"] == 0
    assert stock["held"] == 0


async def test_scaling_a_consumer_from_1_to_3_replicas_under_load_loses_nothing(
    client: SagaClient, workloads_restored: LocalStack
) -> None:
    stack = workloads_restored
    product = await client.seed(available=1000)

    placed: list[str] = []
    spread = asyncio.Event()

    async def load() -> None:  # until the new replicas take a share, at most 900 orders
        while not spread.is_set() and len(placed) < 900:
            placed.extend(await asyncio.gather(*(client.place_ok(product, 1) for _ in range(5))))
            await asyncio.sleep(0.15)  # paces the load; it waits for nothing

    async def inventory_is_busy() -> None:  # scale under load: once inventory answers the load
        assert placed, "no order placed yet"
        first = await client.order(placed[0])
        assert first["saga_step"] != "RESERVING_INVENTORY", f"inventory has not answered: {first}"

    async def partitions_spread() -> None:  # the group rebalanced onto the new replicas
        handled = await asyncio.gather(*(_handled_by(stack, replica) for replica in range(3)))
        assert sum(1 for n in handled if n > 0) >= 2, f"partitions did not spread: {handled}"

    traffic = asyncio.create_task(load())
    try:
        await eventually(inventory_is_busy, within_s=30)
        stack.workloads.scale("inventory", 3)
        await asyncio.to_thread(stack.wait_for_workloads, Console(file=io.StringIO()))
        await eventually(partitions_spread, within_s=90, every_s=1.0)
    finally:
        spread.set()
        await traffic
    orders = placed
    finals = await asyncio.gather(*(client.wait_terminal(o, timeout_s=120) for o in orders))
    assert {f["status"] for f in finals} <= SUCCEEDED
    assert (await client.stock(product))["available"] == 1000 - len(orders)

    conn = await asyncpg.connect(stack.postgres.dsn("inventory"))
    try:
        rows = await conn.fetch(
            "SELECT order_id, count(*) AS n, sum(quantity) AS q FROM reservations"
            " WHERE order_id = ANY($1) GROUP BY order_id",
            orders,
        )
    finally:
        await conn.close()
    assert len(rows) == len(orders), "an order has no reservation"
    assert all(r["n"] == 1 and r["q"] == 1 for r in rows), "a reservation was applied twice"


async def _handled_by(stack: LocalStack, replica: int) -> float:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{stack.workloads.url('inventory', replica)}/metrics")).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith("conveyor_messages_handled_total{") and all(
            label in line
            for label in ('group="inventory"', 'topic="inventory.commands"', 'outcome="applied"')
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total
