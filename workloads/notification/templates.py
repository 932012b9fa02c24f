"""What the customer is told about each order outcome: pure rendering, no I/O.

A notification is identified by (order, template): the service layer records each at most once.
"""

from __future__ import annotations

from dataclasses import dataclass

from workloads.contracts import events as ev


@dataclass(frozen=True)
class Notification:
    order_id: str
    customer_id: str
    template: str
    body: str


def order_confirmed(order: ev.OrderConfirmedV1, *, v2: bool = False) -> Notification:
    """The confirmation; `v2` is the new text being rolled out (`rollout.notification.…`).

    Both texts share the template name, so (order, template) still records it at most once.
    """
    if v2:
        body = (
            f"Good news: order {order.order_id} is on its way to the warehouse. "
            f"We charged {order.total_cents / 100:.2f} to your card."
        )
        return Notification(order.order_id, order.customer_id, "order-confirmed", body)
    body = f"Order {order.order_id} is confirmed: {order.total_cents / 100:.2f} charged."
    return Notification(order.order_id, order.customer_id, "order-confirmed", body)


def order_cancelled(order: ev.OrderCancelled) -> Notification:
    body = f"Order {order.order_id} was cancelled ({order.reason})."
    return Notification(order.order_id, order.customer_id, "order-cancelled", body)
