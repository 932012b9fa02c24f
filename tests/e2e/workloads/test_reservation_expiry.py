"""Reservation expiry never sells a confirmed order's units twice.

A hold past its TTL is released only when inventory has seen its order cancelled; otherwise it is
reported overdue (a WARNING naming the order, a gauge) and kept, whether the confirmation comes
later or never. The TTL itself cannot be set below a saga's length (unit-tested), so the tests age
a reservation in inventory's database instead: the same state a short TTL, a slow saga or an
inventory down past the TTL would leave.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from operators.local.stack import LocalStack
from tests.e2e.workloads.kafka_tools import publish_raw, records_with_key
from tests.e2e.workloads.saga_client import SUCCEEDED, SagaClient
from tests.support.eventually import eventually
from workloads.contracts import events as ev
from workloads.shared.messaging.envelope import Envelope


@pytest.fixture
async def fast_expiry(client: SagaClient, workloads_restored: LocalStack) -> LocalStack:
    """Expiry passes every 0.2 s; the saga's step timeout far above what any step here takes."""
    stack = workloads_restored
    stack.workloads.set_env("inventory", {"EXPIRY_SCAN_INTERVAL_S": "0.2"})
    stack.workloads.set_env("order", {"SAGA_STEP_TIMEOUT_S": "300"})
    for name in ("inventory", "order"):
        stack.workloads.restart(name, stack.settings.stop_timeout_s)
    await asyncio.to_thread(stack.wait_for_workloads, client.quiet_console())
    return stack


@pytest.fixture
async def inventory_db(stack: LocalStack) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(stack.postgres.dsn("inventory"))
    try:
        yield conn
    finally:
        await conn.close()


async def statuses(db: asyncpg.Connection, order_id: str) -> set[str]:
    rows = await db.fetch("SELECT status FROM reservations WHERE order_id = $1", order_id)
    return {row["status"] for row in rows}


async def age(db: asyncpg.Connection, *order_ids: str) -> None:
    """Put the orders' reservations past their TTL, as if the TTL had run out."""
    aged = await db.fetchval(
        "WITH aged AS (UPDATE reservations SET expires_at = now() - interval '1 second'"
        " WHERE order_id = ANY($1) RETURNING 1) SELECT count(*) FROM aged",
        list(order_ids),
    )
    assert aged, f"no reservation of {order_ids} to age"


def reported_overdue(stack: LocalStack, order_id: str) -> bool:
    log = stack.workloads.process("inventory", 0).log_file.read_text(errors="replace")
    return any(order_id in line and "overdue" in line for line in log.splitlines())


async def expiry_has_looked_at(stack: LocalStack, db: asyncpg.Connection, order_id: str) -> None:
    """Until an expiry pass has seen this aged hold: it was reported, or (unfixed) released."""

    async def looked() -> None:
        released = "released" in await statuses(db, order_id)
        assert reported_overdue(stack, order_id) or released, f"no expiry pass saw {order_id}"

    await eventually(looked, within_s=20, every_s=0.2)


async def abandoned_hold(
    stack: LocalStack, db: asyncpg.Connection, product: str, quantity: int
) -> str:
    """A reservation no saga will ever confirm or cancel (its command was published by hand)."""
    order_id = f"abandoned-{uuid.uuid4()}"
    command = ev.ReserveInventory(
        order_id=order_id, items=[ev.OrderLine(product_id=product, quantity=quantity)]
    )
    envelope = Envelope.wrap(command, correlation_id="expiry")
    await publish_raw(
        stack, envelope.topic, envelope.to_value(), key=order_id, headers=envelope.headers()
    )

    async def held() -> None:
        assert await statuses(db, order_id) == {"held"}, f"{order_id} holds nothing yet"

    await eventually(held, within_s=20)
    return order_id


async def cancel(stack: LocalStack, order_id: str) -> None:
    """Announce the order cancelled, as its saga would (the hold may now expire)."""
    cancelled = ev.OrderCancelled(order_id=order_id, customer_id="nobody", reason="abandoned")
    envelope = Envelope.wrap(cancelled, correlation_id="expiry")
    await publish_raw(
        stack, envelope.topic, envelope.to_value(), key=order_id, headers=envelope.headers()
    )


async def stock_of(client: SagaClient, product: str) -> tuple[int, int]:
    stock = await client.stock(product)
    return stock["available"], stock["held"]


async def test_a_hold_past_its_ttl_is_reported_and_kept_until_its_order_is_cancelled(
    client: SagaClient, fast_expiry: LocalStack, inventory_db: asyncpg.Connection
) -> None:
    stack = fast_expiry
    product = await client.seed(available=5)
    order_id = await abandoned_hold(stack, inventory_db, product, 2)
    await age(inventory_db, order_id)
    await expiry_has_looked_at(stack, inventory_db, order_id)
    assert await statuses(inventory_db, order_id) == {"held"}, "expired without a cancellation"
    assert await stock_of(client, product) == (3, 2)

    await cancel(stack, order_id)

    # The expiry pass's own announcement says what it held and gave back.
    async def released() -> None:
        records = await records_with_key(stack, "inventory.released", order_id)
        units = [Envelope.from_value(r.value).read_as(ev.InventoryReleased) for r in records]
        assert [u.released_units for u in units] == [2], f"released so far: {units}"
        assert await stock_of(client, product) == (5, 0)

    await eventually(released, within_s=20, every_s=0.2)


async def test_a_confirmed_order_whose_hold_outlived_its_ttl_keeps_its_units_sold(
    client: SagaClient, fast_expiry: LocalStack, inventory_db: asyncpg.Connection
) -> None:
    """The TTL ran out while the saga still waited for payment (a TTL shorter than the saga)."""
    stack = fast_expiry
    product = await client.seed(available=5)
    stack.workloads.hold("payment", 0)
    order_id = await client.place_ok(product, 2)
    await _wait_step(client, order_id, "PROCESSING_PAYMENT")
    await age(inventory_db, order_id)
    await expiry_has_looked_at(stack, inventory_db, order_id)

    stack.workloads.release("payment", 0)
    final = await client.wait_terminal(order_id, timeout_s=60)
    assert final["status"] in SUCCEEDED, final
    await _sold(client, inventory_db, order_id, product, unsold=3)
    assert await stock_of(client, product) == (3, 0)


async def test_a_confirmation_applied_after_the_ttl_ran_out_keeps_the_units_sold(
    client: SagaClient, fast_expiry: LocalStack, inventory_db: asyncpg.Connection
) -> None:
    """Inventory is down past the TTL while the order confirms; on its return the expiry pass
    and the confirmation race (the pass usually first: it starts before the consumer joins)."""
    stack = fast_expiry
    product = await client.seed(available=5)
    stack.workloads.hold("payment", 0)
    order_id = await client.place_ok(product, 2)
    await _wait_step(client, order_id, "PROCESSING_PAYMENT")
    stack.workloads.hold("inventory", 0)
    stack.workloads.release("payment", 0)
    final = await client.wait_terminal(order_id, timeout_s=60)
    assert final["status"] in SUCCEEDED, final
    await age(inventory_db, order_id)

    stack.workloads.release("inventory", 0)
    await asyncio.to_thread(stack.wait_for_workloads, client.quiet_console())
    await _sold(client, inventory_db, order_id, product, unsold=3)
    assert await stock_of(client, product) == (3, 0)


async def test_a_confirmation_applied_before_the_ttl_ran_out_keeps_the_units_sold(
    client: SagaClient, fast_expiry: LocalStack, inventory_db: asyncpg.Connection
) -> None:
    stack = fast_expiry
    product = await client.seed(available=5)
    order_id = await client.place_ok(product, 2)
    assert (await client.wait_terminal(order_id))["status"] in SUCCEEDED
    await eventually(lambda: _committed(inventory_db, order_id))
    witness = await abandoned_hold(stack, inventory_db, product, 1)  # shows a pass has run
    await age(inventory_db, order_id, witness)
    await expiry_has_looked_at(stack, inventory_db, witness)
    await _sold(client, inventory_db, order_id, product, unsold=3)

    await cancel(stack, witness)  # and the witness is given back once cancelled
    await eventually(lambda: _back(client, product, available=3), within_s=20)


async def test_an_order_cancelled_by_its_saga_has_its_hold_released(
    client: SagaClient, fast_expiry: LocalStack, inventory_db: asyncpg.Connection
) -> None:
    product = await client.seed(available=5)
    order_id = await client.place_ok(product, 2, card="tok_decline")
    final = await client.wait_terminal(order_id)
    assert final["status"] == "CANCELLED", final
    assert await statuses(inventory_db, order_id) == {"released"}
    assert await stock_of(client, product) == (5, 0)


async def _wait_step(client: SagaClient, order_id: str, step: str) -> None:
    async def reached() -> None:
        order = await client.order(order_id)
        assert order["saga_step"] == step, f"{order_id} is at {order['saga_step']}"

    await eventually(reached, within_s=30)


async def _back(client: SagaClient, product: str, *, available: int) -> None:
    assert await stock_of(client, product) == (available, 0), "the witness is still held"


async def _committed(db: asyncpg.Connection, order_id: str) -> None:
    assert await statuses(db, order_id) == {"committed"}, f"{order_id} is not committed"


async def _sold(
    client: SagaClient,
    db: asyncpg.Connection,
    order_id: str,
    product: str,
    *,
    unsold: int,
) -> None:
    """The confirmed order's units stay sold: its hold committed, never given back; `unsold`
    units of the product are left, available or held by other orders."""

    async def sold() -> None:
        now = await statuses(db, order_id)
        assert now == {"committed"}, f"confirmed order {order_id}'s reservation is {now}"

    await eventually(sold, within_s=30)
    released = await records_with_key(client.stack, "inventory.released", order_id)
    assert not released, f"the units of confirmed order {order_id} were released"
    available, held = await stock_of(client, product)
    assert available + held == unsold, f"a confirmed order's units: {available} available"
