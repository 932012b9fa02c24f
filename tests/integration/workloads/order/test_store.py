"""The order store on real PostgreSQL: one statement per load and per save, same guarantees.

`load` reads the snapshot and the events after the snapshot's own version in one query; `save`
appends the events and writes the snapshot row in one statement (docs/adr/0030). A parked order
has an event its snapshot does not include, and the (order_id, seq) key still refuses a second
writer of the same version.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import asyncpg
import pytest

from workloads.order.adapters import store
from workloads.order.domain.order import OrderEvent, OrderState, Status, fold
from workloads.shared.database import Pool, transaction


def _placed(order_id: str) -> tuple[OrderState, OrderEvent, OrderState]:
    before = OrderState(order_id=order_id)
    event = OrderEvent(
        "OrderPlaced",
        {
            "customer_id": "c-1",
            "lines": [{"product_id": "p-1", "quantity": 2, "unit_price_cents": 150}],
            "total_cents": 300,
            "card_token": "tok_ok",
            "placed_at": datetime.now(UTC).isoformat(),
        },
    )
    return before, event, fold(order_id, [event])


async def test_saved_steps_load_back_as_the_fold_of_their_history(order_pool: Pool) -> None:
    order_id = str(uuid.uuid4())
    before, placed, after = _placed(order_id)
    async with transaction(order_pool) as conn:
        await store.save(conn, before, [placed], after, deadline=None)
    reserved = OrderEvent("InventoryReserved", {})
    async with transaction(order_pool) as conn:
        loaded = await store.load(conn, order_id, lock=True)
        assert loaded == after
        await store.save(conn, after, [reserved], fold(order_id, [reserved], after), deadline=None)

    async with transaction(order_pool) as conn:
        history = await store.history(conn, order_id)
        loaded = await store.load(conn, order_id, lock=False)

    assert [(r["seq"], r["event_type"]) for r in history] == [
        (1, "OrderPlaced"),
        (2, "InventoryReserved"),
    ]
    assert loaded == fold(order_id, [placed, reserved])


async def test_a_parked_order_loads_with_the_event_after_its_snapshot(order_pool: Pool) -> None:
    order_id = str(uuid.uuid4())
    before, placed, after = _placed(order_id)
    async with transaction(order_pool) as conn:
        await store.save(conn, before, [placed], after, deadline=None)
        await store.park(conn, order_id, step="RESERVING_INVENTORY", reason="broken")

    async with transaction(order_pool) as conn:
        loaded = await store.load(conn, order_id, lock=True)

    assert loaded is not None
    assert (loaded.status, loaded.attention_reason, loaded.version) == (
        Status.NEEDS_ATTENTION,
        "broken",
        2,
    )


async def test_a_second_writer_of_the_same_version_is_refused(order_pool: Pool) -> None:
    order_id = str(uuid.uuid4())
    before, placed, after = _placed(order_id)
    async with transaction(order_pool) as conn:
        await store.save(conn, before, [placed], after, deadline=None)

    with pytest.raises(asyncpg.UniqueViolationError):
        async with transaction(order_pool) as conn:
            await store.save(conn, before, [placed], replace(after), deadline=None)


async def test_an_unknown_order_loads_as_none(order_pool: Pool) -> None:
    async with transaction(order_pool) as conn:
        assert await store.load(conn, str(uuid.uuid4()), lock=True) is None
