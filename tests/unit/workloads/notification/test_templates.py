"""What the customer is told: one template per outcome, the amount in currency units."""

from __future__ import annotations

from workloads.contracts import events as ev
from workloads.notification import templates


def test_a_confirmation_names_the_order_and_the_amount_charged() -> None:
    order = ev.OrderConfirmedV1(order_id="o-1", customer_id="c-1", total_cents=2505)
    assert templates.order_confirmed(order) == templates.Notification(
        "o-1", "c-1", "order-confirmed", "Order o-1 is confirmed: 25.05 charged."
    )


def test_a_cancellation_says_why() -> None:
    order = ev.OrderCancelled(order_id="o-2", customer_id="c-2", reason="payment failed: declined")
    assert templates.order_cancelled(order) == templates.Notification(
        "o-2", "c-2", "order-cancelled", "Order o-2 was cancelled (payment failed: declined)."
    )
