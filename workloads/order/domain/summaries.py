"""One line of a customer's order list, as a pure fold of the order's history.

The read side (ADR 0035) keeps one `OrderSummary` per order; it is computed from the whole
history every time, never patched by deltas, so applying it twice, late, or out of order with
another replica's work gives the same row: a row is only ever replaced by a higher version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from workloads.order.domain.order import OrderEvent, fold


@dataclass(frozen=True)
class OrderSummary:
    order_id: str
    customer_id: str
    status: str
    total_cents: int
    item_count: int
    placed_at: datetime
    cancel_reason: str | None
    carrier: str | None
    shipment_id: str | None
    version: int


def summarise(order_id: str, events: list[OrderEvent]) -> OrderSummary | None:
    """The order's summary after `events` (its history, in order); None before its placement."""
    state = fold(order_id, events)
    if state.placed_at is None:
        return None
    shipped = next((e.data for e in reversed(events) if e.type == "OrderShipped"), {})
    return OrderSummary(
        order_id=order_id,
        customer_id=state.customer_id,
        status=state.status.value,
        total_cents=state.total_cents,
        item_count=state.item_count,
        placed_at=state.placed_at,
        cancel_reason=state.cancel_reason,
        carrier=shipped.get("carrier"),
        shipment_id=shipped.get("shipment_id"),
        version=state.version,
    )
