"""The order saga as a pure decision function: (state, trigger) -> events, messages, outcome.

Forward path: reserve inventory -> process payment -> confirm. Any failure, step timeout or
customer cancellation compensates in reverse: refund the payment (if one may have been taken),
release the inventory (if some may be held), then cancel. A compensation that times out is
retried with a doubling wait (`step_wait_s`), at most `StepTimedOut.retries` times; after that the
order is parked as NEEDS_ATTENTION with the reason, for a person to look at, because retrying a
release or a refund that keeps failing for ever only hides the failure. A late acknowledgement
still completes a parked order.

When a timeout may fire at all (not while the broker is unreachable, not while the step's own
command still waits in the outbox) is the sweeper's business (`handlers`, `jobs`), not the saga's.

Replies that do not fit the current step (a duplicate, or a late answer after a timeout) change
nothing: every command and its compensation share a topic and key, so the compensation is always
processed after the command it undoes, and the late reply is already accounted for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from workloads.contracts import events as ev
from workloads.order.domain.order import OrderEvent, OrderState, Status, Step, apply

COMPENSATION_RETRIES = 5  # resends of a timed-out compensation before the order is parked
BACKOFF_MAX_S = 300.0  # the longest wait between two of them


@dataclass(frozen=True)
class PlaceOrder:
    customer_id: str
    lines: list[ev.PricedOrderLine]
    card_token: str
    placed_at: datetime


@dataclass(frozen=True)
class StepTimedOut:
    step: Step
    retries: int = COMPENSATION_RETRIES  # how often a compensation is resent before parking


@dataclass(frozen=True)
class CancelRequested:
    pass


# What other services answer (and shipping announces); each names its order.
Reply = (
    ev.InventoryReserved
    | ev.InventoryReservationFailed
    | ev.InventoryReleased
    | ev.PaymentCompleted
    | ev.PaymentFailed
    | ev.PaymentRefunded
    | ev.OrderShipped
)
Trigger = PlaceOrder | StepTimedOut | CancelRequested | Reply


class CancellationRefusedError(Exception):
    """The customer asked to cancel an order that can no longer be cancelled."""


@dataclass(frozen=True)
class Decision:
    events: list[OrderEvent] = field(default_factory=list)
    messages: list[ev.Payload] = field(default_factory=list)  # commands and public events
    outcome: str | None = None  # "confirmed" or "cancelled" when the saga ends here

    def state_after(self, state: OrderState) -> OrderState:
        for event in self.events:
            state = apply(state, event)
        return state


NOTHING = Decision()


def decide(state: OrderState, trigger: Trigger) -> Decision:  # noqa: PLR0911
    match trigger:
        case PlaceOrder():
            return _place(state, trigger)
        case CancelRequested():
            return _cancel(state)
        case StepTimedOut(step=step) if (
            step == state.step and state.status != Status.NEEDS_ATTENTION
        ):
            return _timed_out(state, step, trigger.retries)
        case ev.InventoryReserved() if state.step == Step.RESERVING_INVENTORY:
            return Decision(
                [OrderEvent("InventoryReserved")],
                [
                    ev.ProcessPayment(
                        order_id=state.order_id,
                        customer_id=state.customer_id,
                        amount_cents=state.total_cents,
                        card_token=state.card_token,
                    )
                ],
            )
        case ev.InventoryReservationFailed(reason=reason) if state.step == Step.RESERVING_INVENTORY:
            return _cancelled(state, f"out of stock: {reason}")
        case ev.PaymentCompleted() if state.step == Step.PROCESSING_PAYMENT:
            return Decision(
                [
                    OrderEvent("PaymentCompleted", {"payment_id": trigger.payment_id}),
                    OrderEvent("OrderConfirmed"),
                ],
                [
                    ev.OrderConfirmedV2(
                        order_id=state.order_id,
                        customer_id=state.customer_id,
                        total_cents=state.total_cents,
                        item_count=state.item_count,
                    )
                ],
                outcome="confirmed",
            )
        case ev.PaymentFailed(reason=reason) if state.step == Step.PROCESSING_PAYMENT:
            return _compensate(state, Step.RELEASING_INVENTORY, f"payment failed: {reason}")
        case ev.PaymentRefunded() if state.step == Step.REFUNDING_PAYMENT:
            return Decision(
                [OrderEvent("PaymentRefunded", {"amount_cents": trigger.amount_cents})],
                [ev.ReleaseInventory(order_id=state.order_id)],
            )
        case ev.InventoryReleased() if state.step == Step.RELEASING_INVENTORY:
            return _cancelled(state, state.cancel_reason or "cancelled")
        case ev.OrderShipped() if state.status == Status.CONFIRMED:
            shipment_id = getattr(trigger, "shipment_id", None)  # v2 names the shipment
            shipped = {"carrier": trigger.carrier, "shipment_id": shipment_id}
            return Decision([OrderEvent("OrderShipped", shipped)])
        case _:
            return NOTHING


def _place(state: OrderState, order: PlaceOrder) -> Decision:
    if state.version:
        return NOTHING
    total = sum(line.quantity * line.unit_price_cents for line in order.lines)
    placed = OrderEvent(
        "OrderPlaced",
        {
            "customer_id": order.customer_id,
            "lines": [line.model_dump() for line in order.lines],
            "total_cents": total,
            "card_token": order.card_token,
            "placed_at": order.placed_at.isoformat(),
        },
    )
    return Decision(
        [placed],
        [
            ev.OrderCreated(
                order_id=state.order_id,
                customer_id=order.customer_id,
                items=order.lines,
                total_cents=total,
            ),
            ev.ReserveInventory(
                order_id=state.order_id,
                items=[
                    ev.OrderLine(product_id=line.product_id, quantity=line.quantity)
                    for line in order.lines
                ],
            ),
        ],
    )


def _cancel(state: OrderState) -> Decision:
    if state.status == Status.SHIPPED:
        raise CancellationRefusedError("the order has shipped; request a return instead")
    if state.status in {Status.CANCELLED, Status.CANCELLING, Status.NEEDS_ATTENTION}:
        return NOTHING  # already compensating (or parked while compensating)
    reason = "cancelled by customer"
    if state.step == Step.RESERVING_INVENTORY:
        return _compensate(state, Step.RELEASING_INVENTORY, reason)
    return _compensate(state, Step.REFUNDING_PAYMENT, reason)  # payment may have been taken


def _timed_out(state: OrderState, step: Step, retries: int) -> Decision:
    match step:
        case Step.RESERVING_INVENTORY:
            return _compensate(state, Step.RELEASING_INVENTORY, "timed out reserving inventory")
        case Step.PROCESSING_PAYMENT:
            return _compensate(state, Step.REFUNDING_PAYMENT, "timed out processing payment")
        case Step.REFUNDING_PAYMENT | Step.RELEASING_INVENTORY if state.attempt >= retries:
            return needs_attention(
                state, f"{step.value} not acknowledged after {state.attempt} retries"
            )
        case Step.REFUNDING_PAYMENT:
            return _retried(state, step, ev.RefundPayment(order_id=state.order_id))
        case Step.RELEASING_INVENTORY:
            return _retried(state, step, ev.ReleaseInventory(order_id=state.order_id))


def _retried(state: OrderState, step: Step, command: ev.Payload) -> Decision:
    return Decision(
        [OrderEvent("StepRetried", {"step": step.value, "attempt": state.attempt + 1})], [command]
    )


def needs_attention(state: OrderState, reason: str) -> Decision:
    """Park the order for a person; its step stays, so a late acknowledgement completes it."""
    step = state.step.value if state.step else None
    return Decision([OrderEvent("NeedsAttention", {"step": step, "reason": reason})])


def step_wait_s(state: OrderState, *, step_timeout_s: float, backoff_max_s: float) -> float | None:
    """How long the order's current step may wait for its reply; None when nothing waits.

    A step's first attempt waits one step timeout; each retry doubles the wait, up to
    `backoff_max_s` (never below one step timeout). A parked order waits for no deadline.
    """
    if state.step is None or state.status == Status.NEEDS_ATTENTION:
        return None
    return retry_wait_s(state.attempt, step_timeout_s=step_timeout_s, backoff_max_s=backoff_max_s)


def retry_wait_s(attempt: int, *, step_timeout_s: float, backoff_max_s: float) -> float:
    """The wait before attempt `attempt` + 1: one step timeout doubled per retry, capped."""
    return min(step_timeout_s * 2.0**attempt, max(backoff_max_s, step_timeout_s))


def _compensate(state: OrderState, step: Step, reason: str) -> Decision:
    command: ev.Payload = (
        ev.RefundPayment(order_id=state.order_id)
        if step == Step.REFUNDING_PAYMENT
        else ev.ReleaseInventory(order_id=state.order_id)
    )
    return Decision(
        [OrderEvent("CompensationStarted", {"step": step.value, "reason": reason})], [command]
    )


def _cancelled(state: OrderState, reason: str) -> Decision:
    return Decision(
        [OrderEvent("OrderCancelled", {"reason": reason})],
        [ev.OrderCancelled(order_id=state.order_id, customer_id=state.customer_id, reason=reason)],
        outcome="cancelled",
    )
