"""The order as an event-sourced aggregate: its state is a fold over its stored events.

Stored events are the order's own history (internal, richer than what is published): the saga's
replies and decisions are recorded as they happen, so `GET /v1/orders/{id}/events` tells the whole
story and the state can always be rebuilt. The `orders` row keeps a snapshot of the fold at its
version; with a handful of events per order the snapshot saves little work on reads, but it is
what the saga locks and loads, and a test checks it equals the fold of the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PENDING = "PENDING"  # saga in progress
    CONFIRMED = "CONFIRMED"
    CANCELLING = "CANCELLING"  # compensation in progress
    CANCELLED = "CANCELLED"
    SHIPPED = "SHIPPED"
    # A compensation nobody acknowledged after its last retry, or an order the sweeper cannot
    # handle: parked for a person (reason in `attention_reason`), no longer swept. A late
    # acknowledgement of its step still completes it.
    NEEDS_ATTENTION = "NEEDS_ATTENTION"


class Step(StrEnum):
    RESERVING_INVENTORY = "RESERVING_INVENTORY"
    PROCESSING_PAYMENT = "PROCESSING_PAYMENT"
    REFUNDING_PAYMENT = "REFUNDING_PAYMENT"
    RELEASING_INVENTORY = "RELEASING_INVENTORY"


@dataclass(frozen=True)
class OrderEvent:
    """One fact in an order's history: a type and its data (JSON-ready)."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Line:
    product_id: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True)
class OrderState:
    order_id: str
    customer_id: str = ""
    lines: tuple[Line, ...] = ()
    total_cents: int = 0
    card_token: str = ""
    status: Status = Status.PENDING
    step: Step | None = None
    cancel_reason: str | None = None
    payment_id: str | None = None
    placed_at: datetime | None = None
    attempt: int = 0  # retries of the current step so far (compensations only)
    attention_reason: str | None = None
    version: int = 0

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    def to_snapshot(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "customer_id": self.customer_id,
            "lines": [vars(line) for line in self.lines],
            "total_cents": self.total_cents,
            "card_token": self.card_token,
            "status": self.status.value,
            "step": self.step.value if self.step else None,
            "cancel_reason": self.cancel_reason,
            "payment_id": self.payment_id,
            "placed_at": self.placed_at.isoformat() if self.placed_at else None,
            "attempt": self.attempt,
            "attention_reason": self.attention_reason,
            "version": self.version,
        }

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> OrderState:
        return cls(
            order_id=data["order_id"],
            customer_id=data["customer_id"],
            lines=tuple(Line(**line) for line in data["lines"]),
            total_cents=data["total_cents"],
            card_token=data["card_token"],
            status=Status(data["status"]),
            step=Step(data["step"]) if data["step"] else None,
            cancel_reason=data["cancel_reason"],
            payment_id=data["payment_id"],
            placed_at=datetime.fromisoformat(data["placed_at"]) if data["placed_at"] else None,
            # Snapshots written before retries were counted have neither field.
            attempt=data.get("attempt", 0),
            attention_reason=data.get("attention_reason"),
            version=data["version"],
        )


def apply(state: OrderState, event: OrderEvent) -> OrderState:
    """The state after one more event; unknown event types are an error, never ignored."""
    after = _applied(state, event)
    if after.step != state.step:  # a new step starts its retries afresh
        after = replace(after, attempt=0)
    if after.status != Status.NEEDS_ATTENTION:  # the reason describes the parked state only
        after = replace(after, attention_reason=None)
    return replace(after, version=state.version + 1)


def _applied(state: OrderState, event: OrderEvent) -> OrderState:
    d = event.data
    match event.type:
        case "OrderPlaced":
            state = replace(
                state,
                customer_id=d["customer_id"],
                lines=tuple(Line(**line) for line in d["lines"]),
                total_cents=d["total_cents"],
                card_token=d["card_token"],
                placed_at=datetime.fromisoformat(d["placed_at"]),
                status=Status.PENDING,
                step=Step.RESERVING_INVENTORY,
            )
        case "InventoryReserved":
            state = replace(state, step=Step.PROCESSING_PAYMENT)
        case "PaymentCompleted":
            state = replace(state, payment_id=d["payment_id"])
        case "OrderConfirmed":
            state = replace(state, status=Status.CONFIRMED, step=None)
        case "CompensationStarted":
            state = replace(
                state, status=Status.CANCELLING, step=Step(d["step"]), cancel_reason=d["reason"]
            )
        case "PaymentRefunded":  # also a late one, for an order parked while refunding
            state = replace(state, status=Status.CANCELLING, step=Step.RELEASING_INVENTORY)
        case "OrderCancelled":
            state = replace(state, status=Status.CANCELLED, step=None, cancel_reason=d["reason"])
        case "OrderShipped":
            state = replace(state, status=Status.SHIPPED, step=None)
        case "StepRetried":
            state = replace(state, attempt=state.attempt + 1)
        case "NeedsAttention":
            state = replace(state, status=Status.NEEDS_ATTENTION, attention_reason=d["reason"])
        case _:
            raise ValueError(f"unknown order event {event.type!r}")
    return state


def fold(order_id: str, events: list[OrderEvent], start: OrderState | None = None) -> OrderState:
    state = start or OrderState(order_id=order_id)
    for event in events:
        state = apply(state, event)
    return state
