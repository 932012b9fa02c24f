"""The one-line verdict on a stuck order and its step timings, from plain records."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from operators.diagnostics.orders import OrderRecord, PendingMessage, StoredEvent
from operators.diagnostics.verdict import DeadLetterSeen, step_timings, verdict

T0 = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
PLACED = {
    "customer_id": "c",
    "lines": [{"product_id": "p", "quantity": 1, "unit_price_cents": 100}],
    "total_cents": 100,
    "card_token": "tok_visa",
    "placed_at": T0.isoformat(),
}


def waiting_for_payment(after_s: float = 42.0) -> OrderRecord:
    return OrderRecord(
        order_id="o-1",
        status="PENDING",
        step="PROCESSING_PAYMENT",
        created_at=T0,
        updated_at=T0 + timedelta(seconds=0.3),
        deadline=T0 + timedelta(seconds=30.3),
        attention_reason=None,
        events=(
            StoredEvent(1, "OrderPlaced", PLACED, T0),
            StoredEvent(2, "InventoryReserved", {}, T0 + timedelta(seconds=0.3)),
        ),
        unsent=(),
        now=T0 + timedelta(seconds=0.3 + after_s),
    )


def test_a_payment_service_without_replicas_is_named_with_the_wait() -> None:
    line = verdict(waiting_for_payment(), ready={"payment": 0, "order": 1}, dead_letters=[])
    assert line == (
        "waiting for payment: payment service has 0 ready replicas; command sent 42 s ago; "
        "past its deadline"
    )


def test_a_running_payment_service_is_pointed_at_its_log() -> None:
    line = verdict(waiting_for_payment(10), ready={"payment": 2}, dead_letters=[])
    assert "command sent 10 s ago and not answered; payment has 2 ready replica(s)" in line
    assert "conveyor local logs payment-0" in line
    assert line.endswith("the step times out in 20 s")


def test_a_dead_letter_comes_first_with_its_redrive_command() -> None:
    letter = DeadLetterSeen("payments.commands.dlq", "PoisonMessageError: bad")
    line = verdict(waiting_for_payment(), ready={"payment": 0}, dead_letters=[letter])
    assert line.startswith("a message of this order was dead-lettered on payments.commands.dlq")
    assert line.endswith("`conveyor dlq redrive payments.commands.dlq --key o-1`")


def test_a_command_still_in_the_outbox_blames_the_broker() -> None:
    unsent = PendingMessage("payments.commands", "ProcessPayment", T0, {})
    record = replace(waiting_for_payment(), unsent=(unsent,))
    line = verdict(record, ready={"payment": 1}, dead_letters=[])
    assert "ProcessPayment has not left the order service's outbox" in line


def test_an_ended_order_is_not_stuck() -> None:
    for status in ("CONFIRMED", "SHIPPED", "CANCELLED"):
        record = replace(waiting_for_payment(), status=status, step=None)
        assert verdict(record, ready=None, dead_letters=[]).startswith(f"not stuck: {status}")


def test_step_timings_end_each_step_where_the_next_begins() -> None:
    timings = step_timings(waiting_for_payment())
    assert [(t.name, t.seconds) for t in timings] == [
        ("RESERVING_INVENTORY", 0.3),
        ("PROCESSING_PAYMENT", None),
    ]
