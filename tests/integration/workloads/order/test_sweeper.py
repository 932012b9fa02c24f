"""The step-timeout sweeper against a real order database, with crafted overdue orders.

One order the sweeper cannot handle must not roll back or stop the others in its batch, and a
compensation that is never acknowledged is retried with a growing wait, then parked as
NEEDS_ATTENTION (visible in the order, its history and a metric) instead of forever.
"""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from prometheus_client import REGISTRY

from workloads.contracts import events as ev
from workloads.order import handlers
from workloads.order.domain.saga import Reply
from workloads.order.schemas import LineIn, OrderIn, PaymentIn
from workloads.shared.database import Pool, transaction
from workloads.shared.messaging.envelope import Envelope

STEP_TIMEOUT_S = 30.0


async def _order(pool: Pool, *replies: Reply) -> str:
    """A placed order, driven through `replies` as the other services would answer."""
    product = f"sku-{uuid.uuid4().hex[:8]}"
    async with transaction(pool) as conn:
        await conn.execute(
            "INSERT INTO products (product_id, price_cents) VALUES ($1, 1000)", product
        )
    order = OrderIn(
        customer_id="c",
        items=[LineIn(product_id=product, quantity=1)],
        payment=PaymentIn(card_token="tok_visa"),
    )
    accepted = await handlers.place_order(
        pool,
        order,
        idempotency_key=str(uuid.uuid4()),
        correlation_id="sweeper-test",
        step_timeout_s=STEP_TIMEOUT_S,
    )
    for template in replies:
        reply = template.model_copy(update={"order_id": accepted.order_id})
        async with transaction(pool) as conn:
            await handlers.apply_reply(
                conn,
                reply,
                cause=Envelope.wrap(reply, correlation_id="sweeper-test"),
                step_timeout_s=STEP_TIMEOUT_S,
            )
    return accepted.order_id


RESERVED = ev.InventoryReserved(order_id="-")
DECLINED = ev.PaymentFailed(order_id="-", reason="declined")


async def _make_overdue(pool: Pool, order_id: str, *, by_s: float = 1.0) -> None:
    """The relay published the order's messages (none runs here) and its deadline ran out."""
    async with transaction(pool) as conn:
        await conn.execute("DELETE FROM outbox WHERE key = $1", order_id)
        await conn.execute(
            "UPDATE orders SET deadline = now() - make_interval(secs => $2) WHERE order_id = $1",
            order_id,
            by_s,
        )


async def _row(pool: Pool, order_id: str) -> dict[str, object]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT status, saga_step, extract(epoch FROM deadline - now()) AS wait_s"
            " FROM orders WHERE order_id = $1",
            order_id,
        )
    assert row is not None
    return dict(row)


async def _break_history(pool: Pool, order_id: str) -> None:
    """An event this version cannot fold (as a newer replica might write): loading it raises."""
    async with transaction(pool) as conn:
        await conn.execute(
            "INSERT INTO order_events (order_id, seq, event_type, data)"
            " SELECT $1, max(seq) + 1, 'Teleported', $2 FROM order_events WHERE order_id = $1",
            order_id,
            json.dumps({}),
        )


async def test_one_order_that_fails_in_the_sweep_does_not_roll_back_the_others(
    order_pool: Pool, caplog: pytest.LogCaptureFixture
) -> None:
    good = [await _order(order_pool, RESERVED) for _ in range(2)]
    bad = await _order(order_pool, RESERVED, DECLINED)
    await _break_history(order_pool, bad)
    for order_id in good:
        await _make_overdue(order_pool, order_id)
    await _make_overdue(order_pool, bad, by_s=60)  # first in the batch

    with caplog.at_level(logging.ERROR):
        await handlers.time_out_overdue_steps(order_pool, step_timeout_s=STEP_TIMEOUT_S)

    for order_id in good:
        row = await _row(order_pool, order_id)
        assert (row["status"], row["saga_step"]) == ("CANCELLING", "REFUNDING_PAYMENT"), row
    assert any(bad in record.getMessage() for record in caplog.records), "the failure was silent"
    bad_row = await _row(order_pool, bad)
    assert bad_row["wait_s"] is not None
    assert float(str(bad_row["wait_s"])) > 0, "the failing order is retried in the very next round"


async def test_an_unacknowledged_compensation_backs_off_then_needs_attention(
    order_pool: Pool,
) -> None:
    order_id = await _order(order_pool, RESERVED, DECLINED)  # now releasing inventory
    waits: list[float] = []
    for _ in range(12):
        await _make_overdue(order_pool, order_id)
        await handlers.time_out_overdue_steps(order_pool, step_timeout_s=STEP_TIMEOUT_S)
        row = await _row(order_pool, order_id)
        if row["status"] == "NEEDS_ATTENTION":
            break
        waits.append(float(str(row["wait_s"])))
    assert row["status"] == "NEEDS_ATTENTION", f"still {row['status']} after {len(waits)} retries"
    assert row["saga_step"] == "RELEASING_INVENTORY"
    assert row["wait_s"] is None, "a parked order is still swept"
    step = STEP_TIMEOUT_S
    assert [round(w) for w in waits] == [2 * step, 4 * step, 8 * step, 300, 300], waits

    view = await handlers.get_order(order_pool, order_id)
    assert view.status == "NEEDS_ATTENTION"
    assert view.attention_reason is not None
    assert "RELEASING_INVENTORY" in view.attention_reason
    history = await handlers.order_history(order_pool, order_id)
    assert history.events[-1].type == "NeedsAttention"
    assert REGISTRY.get_sample_value("conveyor_saga_needs_attention") == 1

    # The acknowledgement may still come (say, after a redrive): the compensation completes.
    async with transaction(order_pool) as conn:
        released = ev.InventoryReleased(order_id=order_id, released_units=1)
        await handlers.apply_reply(
            conn,
            released,
            cause=Envelope.wrap(released, correlation_id="late"),
            step_timeout_s=STEP_TIMEOUT_S,
        )
    assert (await _row(order_pool, order_id))["status"] == "CANCELLED"
    await handlers.time_out_overdue_steps(order_pool, step_timeout_s=STEP_TIMEOUT_S)
    assert REGISTRY.get_sample_value("conveyor_saga_needs_attention") == 0


async def test_an_order_the_sweeper_keeps_failing_on_is_parked_not_retried_forever(
    order_pool: Pool,
) -> None:
    order_id = await _order(order_pool, RESERVED, DECLINED)
    await _break_history(order_pool, order_id)
    for _ in range(12):
        await _make_overdue(order_pool, order_id)
        await handlers.time_out_overdue_steps(order_pool, step_timeout_s=STEP_TIMEOUT_S)
        if (await _row(order_pool, order_id))["status"] == "NEEDS_ATTENTION":
            break
    view = await handlers.get_order(order_pool, order_id)
    assert view.status == "NEEDS_ATTENTION", view
    assert view.attention_reason is not None
    assert "Teleported" in view.attention_reason, view.attention_reason


async def test_a_step_whose_command_is_still_in_the_outbox_is_not_timed_out(
    order_pool: Pool,
) -> None:
    order_id = await _order(order_pool, RESERVED)  # ProcessPayment waits in the outbox
    async with transaction(order_pool) as conn:
        await conn.execute(
            "UPDATE orders SET deadline = now() - interval '1 minute' WHERE order_id = $1",
            order_id,
        )
    await handlers.time_out_overdue_steps(order_pool, step_timeout_s=STEP_TIMEOUT_S)
    row = await _row(order_pool, order_id)
    assert (row["status"], row["saga_step"]) == ("PENDING", "PROCESSING_PAYMENT"), row
    assert 0 < float(str(row["wait_s"])) <= 1, "re-checked soon, not a whole step later"

    await _make_overdue(order_pool, order_id)  # the command has left: the step's clock starts
    await handlers.time_out_overdue_steps(order_pool, step_timeout_s=STEP_TIMEOUT_S)
    row = await _row(order_pool, order_id)
    assert row["status"] == "PENDING", row
    assert float(str(row["wait_s"])) > STEP_TIMEOUT_S - 5, row

    await _make_overdue(order_pool, order_id)  # and a full step later, a genuine timeout
    await handlers.time_out_overdue_steps(order_pool, step_timeout_s=STEP_TIMEOUT_S)
    row = await _row(order_pool, order_id)
    assert (row["status"], row["saga_step"]) == ("CANCELLING", "REFUNDING_PAYMENT"), row
