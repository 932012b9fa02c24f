"""One order whose history does not fold never stalls the read model (nor stops the service).

On a scratch order database: a good order saved as the service saves it, and an order whose
OrderPlaced row lacks its fields (what a bug or a hand-written row could leave). One projector
round writes the good order's summary, leaves the bad one out and counts it, and moves the
checkpoint on: the next round has nothing left to do. (Rounds are repeated until the write shows:
the projector waits for every older transaction on the server to end, by design.)
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from prometheus_client import REGISTRY

from tests.support.eventually import eventually
from workloads.order import projection
from workloads.order.adapters import store
from workloads.order.adapters.customer_orders import PROJECTION
from workloads.order.domain.order import OrderEvent, OrderState, fold
from workloads.shared.database import Pool, transaction


def _skipped() -> float:
    value = REGISTRY.get_sample_value(
        "conveyor_projection_orders_skipped_total", {"projection": PROJECTION}
    )
    return value or 0.0


async def test_an_unfoldable_history_is_left_out_and_the_rest_projected(order_pool: Pool) -> None:
    good, bad = str(uuid.uuid4()), str(uuid.uuid4())
    placed = OrderEvent(
        "OrderPlaced",
        {
            "customer_id": "c-1",
            "lines": [{"product_id": "p-1", "quantity": 1, "unit_price_cents": 250}],
            "total_cents": 250,
            "card_token": "tok_ok",
            "placed_at": datetime.now(UTC).isoformat(),
        },
    )
    before = _skipped()
    async with transaction(order_pool) as conn:
        await store.save(
            conn, OrderState(order_id=good), [placed], fold(good, [placed]), deadline=None
        )
        await conn.execute(
            "INSERT INTO order_events (order_id, seq, event_type, data)"
            " VALUES ($1, 1, 'OrderPlaced', '{}'::jsonb)",
            bad,
        )

    written: list[int] = []

    async def projected() -> None:
        # A transaction open anywhere on the server holds the projector's horizon back a while.
        written.append(await projection.catch_up(order_pool))
        assert sum(written) == 1, f"rounds so far wrote {written}"

    await eventually(projected, within_s=30, every_s=0.2)
    assert [row.order_id for row in await projection.rows(order_pool)] == [good]
    assert _skipped() == before + 1
    assert await projection.catch_up(order_pool) == 0  # the checkpoint moved past both
