"""The saga state machine and the order fold, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workloads.contracts import events as ev
from workloads.order.domain.order import OrderEvent, OrderState, Status, Step, fold
from workloads.order.domain.saga import (
    CancellationRefusedError,
    CancelRequested,
    Decision,
    PlaceOrder,
    StepTimedOut,
    Trigger,
    decide,
    step_wait_s,
)

ORDER = "order-1"


def _placed() -> tuple[OrderState, list[OrderEvent], Decision]:
    line = ev.PricedOrderLine(product_id="sku", quantity=2, unit_price_cents=500)
    state = OrderState(order_id=ORDER)
    decision = decide(state, PlaceOrder("cust", [line], "tok", datetime(2026, 1, 1, tzinfo=UTC)))
    return decision.state_after(state), list(decision.events), decision


def _run(*triggers: Trigger) -> tuple[OrderState, list[OrderEvent], list[Decision]]:
    state, history, first = _placed()
    decisions = [first]
    for trigger in triggers:
        decision = decide(state, trigger)
        decisions.append(decision)
        history += decision.events
        state = decision.state_after(state)
    return state, history, decisions


def _types(decision: Decision) -> list[str]:
    return [type(m).__name__ for m in decision.messages]


def test_placing_an_order_announces_it_and_asks_for_inventory() -> None:
    state, _, decision = _placed()
    assert _types(decision) == ["OrderCreated", "ReserveInventory"]
    assert state.status is Status.PENDING
    assert state.step is Step.RESERVING_INVENTORY
    assert state.total_cents == 1000


def test_happy_path_reserves_charges_and_confirms_once() -> None:
    state, _, decisions = _run(
        ev.InventoryReserved(order_id=ORDER),
        ev.PaymentCompleted(order_id=ORDER, payment_id="p1", amount_cents=1000),
    )
    assert _types(decisions[1]) == ["ProcessPayment"]
    assert _types(decisions[2]) == ["OrderConfirmedV2"]
    assert decisions[2].outcome == "confirmed"
    assert state.status is Status.CONFIRMED
    assert state.step is None
    assert state.payment_id == "p1"


def test_payment_failure_releases_inventory_then_cancels() -> None:
    state, _, decisions = _run(
        ev.InventoryReserved(order_id=ORDER),
        ev.PaymentFailed(order_id=ORDER, reason="declined"),
        ev.InventoryReleased(order_id=ORDER, released_units=2),
    )
    assert _types(decisions[2]) == ["ReleaseInventory"]
    assert _types(decisions[3]) == ["OrderCancelled"]
    assert state.status is Status.CANCELLED
    assert state.cancel_reason == "payment failed: declined"


def test_shortage_cancels_without_asking_for_payment() -> None:
    state, _, decisions = _run(ev.InventoryReservationFailed(order_id=ORDER, reason="none left"))
    assert _types(decisions[1]) == ["OrderCancelled"]
    assert state.status is Status.CANCELLED


def test_payment_timeout_refunds_then_releases_then_cancels() -> None:
    state, _, decisions = _run(
        ev.InventoryReserved(order_id=ORDER),
        StepTimedOut(Step.PROCESSING_PAYMENT),
        ev.PaymentRefunded(order_id=ORDER, amount_cents=0),
        ev.InventoryReleased(order_id=ORDER, released_units=2),
    )
    assert [_types(d) for d in decisions[2:]] == [
        ["RefundPayment"], ["ReleaseInventory"], ["OrderCancelled"],
    ]  # fmt: skip
    assert state.status is Status.CANCELLED
    assert state.cancel_reason == "timed out processing payment"


def test_a_late_reply_after_a_timeout_changes_nothing() -> None:
    state, _, _ = _run(ev.InventoryReserved(order_id=ORDER), StepTimedOut(Step.PROCESSING_PAYMENT))
    late = decide(state, ev.PaymentCompleted(order_id=ORDER, payment_id="p", amount_cents=1000))
    assert late == Decision()


def test_a_stale_timeout_for_a_finished_step_changes_nothing() -> None:
    state, _, _ = _run(ev.InventoryReserved(order_id=ORDER))
    assert decide(state, StepTimedOut(Step.RESERVING_INVENTORY)) == Decision()


def test_compensation_is_retried_when_it_times_out() -> None:
    state, _, decisions = _run(
        ev.InventoryReserved(order_id=ORDER),
        ev.PaymentFailed(order_id=ORDER, reason="x"),
        StepTimedOut(Step.RELEASING_INVENTORY),
    )
    assert _types(decisions[3]) == ["ReleaseInventory"]
    assert state.step is Step.RELEASING_INVENTORY


def test_duplicate_replies_are_ignored() -> None:
    reserved = ev.InventoryReserved(order_id=ORDER)
    _, _, decisions = _run(reserved, reserved)
    assert decisions[2] == Decision()


def test_cancel_is_idempotent_and_refused_after_shipment() -> None:
    state, _, decisions = _run(
        ev.InventoryReserved(order_id=ORDER),
        ev.PaymentCompleted(order_id=ORDER, payment_id="p", amount_cents=1000),
        CancelRequested(),
        CancelRequested(),
    )
    assert _types(decisions[3]) == ["RefundPayment"]
    assert decisions[4] == Decision()
    assert state.status is Status.CANCELLING

    shipped, _, _ = _run(
        ev.InventoryReserved(order_id=ORDER),
        ev.PaymentCompleted(order_id=ORDER, payment_id="p", amount_cents=1000),
        ev.OrderShipped(order_id=ORDER),
    )
    assert shipped.status is Status.SHIPPED
    with pytest.raises(CancellationRefusedError):
        decide(shipped, CancelRequested())


def test_cancel_while_reserving_only_releases() -> None:
    _, _, decisions = _run(CancelRequested())
    assert _types(decisions[1]) == ["ReleaseInventory"]


def test_state_is_the_fold_of_its_history_and_survives_a_snapshot() -> None:
    state, history, _ = _run(
        ev.InventoryReserved(order_id=ORDER),
        ev.PaymentFailed(order_id=ORDER, reason="declined"),
        ev.InventoryReleased(order_id=ORDER, released_units=2),
    )
    assert fold(ORDER, history) == state
    assert OrderState.from_snapshot(state.to_snapshot()) == state
    assert state.version == len(history)
    middle = fold(ORDER, history[:2])
    assert fold(ORDER, history[2:], OrderState.from_snapshot(middle.to_snapshot())) == state


def test_unknown_history_events_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown order event"):
        fold(ORDER, [OrderEvent("Teleported")])


def _releasing(*, retries: int, timeouts: int) -> tuple[OrderState, list[Decision]]:
    state, _, decisions = _run(
        ev.InventoryReserved(order_id=ORDER),
        ev.PaymentFailed(order_id=ORDER, reason="declined"),
        *[StepTimedOut(Step.RELEASING_INVENTORY, retries=retries) for _ in range(timeouts)],
    )
    return state, decisions


def test_a_compensation_is_retried_at_most_its_retries_then_needs_attention() -> None:
    state, decisions = _releasing(retries=2, timeouts=3)
    assert [_types(d) for d in decisions[3:]] == [["ReleaseInventory"], ["ReleaseInventory"], []]
    assert decisions[5].events[0].type == "NeedsAttention"
    assert state.status is Status.NEEDS_ATTENTION
    assert state.step is Step.RELEASING_INVENTORY, "the step stays for a late acknowledgement"
    assert state.attention_reason == "RELEASING_INVENTORY not acknowledged after 2 retries"
    assert decide(state, StepTimedOut(Step.RELEASING_INVENTORY, retries=2)) == Decision()
    assert decide(state, CancelRequested()) == Decision()


def test_a_late_acknowledgement_completes_a_parked_order() -> None:
    parked, _ = _releasing(retries=0, timeouts=1)
    decision = decide(parked, ev.InventoryReleased(order_id=ORDER, released_units=2))
    after = decision.state_after(parked)
    assert decision.outcome == "cancelled"
    assert (after.status, after.attention_reason) == (Status.CANCELLED, None)
    assert after.cancel_reason == "payment failed: declined"


def test_a_late_refund_of_a_parked_order_goes_on_to_release() -> None:
    state, _, _ = _run(
        ev.InventoryReserved(order_id=ORDER),
        StepTimedOut(Step.PROCESSING_PAYMENT),
        StepTimedOut(Step.REFUNDING_PAYMENT, retries=0),
    )
    assert state.status is Status.NEEDS_ATTENTION
    decision = decide(state, ev.PaymentRefunded(order_id=ORDER, amount_cents=1000))
    after = decision.state_after(state)
    assert _types(decision) == ["ReleaseInventory"]
    assert (after.status, after.step, after.attempt) == (
        Status.CANCELLING, Step.RELEASING_INVENTORY, 0,
    )  # fmt: skip


def test_each_retry_doubles_the_wait_up_to_the_maximum_and_a_parked_order_waits_for_none() -> None:
    waits = []
    for timeouts in range(5):
        state, _ = _releasing(retries=4, timeouts=timeouts)
        waits.append(step_wait_s(state, step_timeout_s=10, backoff_max_s=60))
    assert waits == [10, 20, 40, 60, 60]
    parked, _ = _releasing(retries=0, timeouts=1)
    assert step_wait_s(parked, step_timeout_s=10, backoff_max_s=60) is None
    fresh, _, _ = _placed()
    assert step_wait_s(fresh, step_timeout_s=10, backoff_max_s=5) == 10, "never below a step"


def test_retries_count_per_step_and_survive_a_snapshot() -> None:
    state, _ = _releasing(retries=5, timeouts=2)
    assert state.attempt == 2
    assert OrderState.from_snapshot(state.to_snapshot()) == state
    parked, _ = _releasing(retries=0, timeouts=1)
    assert OrderState.from_snapshot(parked.to_snapshot()) == parked


def test_a_snapshot_written_before_retries_were_counted_still_loads() -> None:
    state, _, _ = _run(ev.InventoryReserved(order_id=ORDER))
    old = {k: v for k, v in state.to_snapshot().items() if k not in {"attempt", "attention_reason"}}
    assert OrderState.from_snapshot(old) == state
