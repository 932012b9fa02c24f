"""The chaos evidence against the real order database: an order is terminal when it first was.

A CONFIRMED order is later SHIPPED (the shipping service's `OrderShipped`), which moves the row's
`updated_at`; "time to recover" must not count that lag, which after a broker outage is the
shipping backlog's, not the saga's. Scratch order ids, removed after the test.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from loadtests.chaos import collect
from loadtests.chaos.load import Attempt
from operators.local.stack import LocalStack


@pytest.fixture
async def order_db(stack: LocalStack) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(stack.postgres.dsn("order"))
    try:
        yield conn
    finally:
        await conn.close()


async def _shipped_order(
    conn: asyncpg.Connection, *, confirmed_at: float, shipped_at: float
) -> str:
    order_id = f"chaos-collect-{uuid.uuid4()}"
    snapshot = {"lines": [{"product_id": "p-collect", "quantity": 1}]}
    await conn.execute(
        "INSERT INTO orders (order_id, customer_id, status, total_cents, snapshot, version,"
        " created_at, updated_at) VALUES ($1, 'c', 'SHIPPED', 1000, $2::jsonb, 4,"
        " to_timestamp($3), to_timestamp($4))",
        order_id, json.dumps(snapshot), confirmed_at - 5, shipped_at,
    )  # fmt: skip
    # No placement in this history: the running order service's projector folds it to nothing
    # (a scratch history it could not fold would end that process).
    for seq, (kind, at) in enumerate(
        [("OrderConfirmed", confirmed_at), ("OrderShipped", shipped_at)], start=1
    ):
        await conn.execute(
            "INSERT INTO order_events (order_id, seq, event_type, data, occurred_at)"
            " VALUES ($1, $2, $3, '{}'::jsonb, to_timestamp($4))",
            order_id, seq, kind, at,
        )  # fmt: skip
    return order_id


async def test_a_shipped_order_was_terminal_when_it_was_confirmed(
    stack: LocalStack, order_db: asyncpg.Connection
) -> None:
    confirmed_at = time.time() - 60
    order_id = await _shipped_order(
        order_db, confirmed_at=confirmed_at, shipped_at=confirmed_at + 30
    )
    try:
        attempt = Attempt(sent_at=confirmed_at - 5, answered_at=confirmed_at - 5, order_id=order_id)
        [record] = await collect.orders(stack, [attempt], [])
    finally:
        await order_db.execute("DELETE FROM order_events WHERE order_id = $1", order_id)
        await order_db.execute("DELETE FROM orders WHERE order_id = $1", order_id)
    assert record.status == "SHIPPED"
    assert record.terminal_at is not None, "a shipped order without a time it became terminal"
    late_s = record.terminal_at - confirmed_at
    assert abs(late_s) < 0.01, f"terminal {late_s:+.1f} s after its confirmation"
