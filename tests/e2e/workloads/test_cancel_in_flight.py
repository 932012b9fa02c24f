"""A customer's cancel while the payment step is in flight: money and stock end consistent.

The charge command is already on its way when the cancel arrives; the refund that the cancel
sends travels behind it on the same topic and key, so the payment service charges, then refunds,
and the order ends CANCELLED with the reservation released and nothing kept.
"""

from __future__ import annotations

from operators.local.stack import LocalStack
from tests.e2e.workloads.saga_client import SagaClient
from tests.support.eventually import eventually


async def test_a_cancel_during_processing_payment_refunds_and_releases(
    client: SagaClient, workloads_restored: LocalStack
) -> None:
    stack = workloads_restored
    product = await client.seed(available=5)
    stack.workloads.hold("payment", 0)  # the payment step stays in flight until released
    order_id = await client.place_ok(product, 2)

    async def payment_in_flight() -> None:
        order = await client.order(order_id)
        assert order["saga_step"] == "PROCESSING_PAYMENT", order

    await eventually(payment_in_flight, within_s=30)
    cancel = await client.http.post(client.url("order", f"/v1/orders/{order_id}/cancel"))
    assert cancel.status_code == 202, cancel.text
    stack.workloads.release("payment", 0)

    order = await client.wait_terminal(order_id, timeout_s=90)
    assert order["status"] == "CANCELLED"
    assert order["cancel_reason"] == "cancelled by customer"
    stock = await client.stock(product)
    assert (stock["available"], stock["held"]) == (5, 0), stock
    payment = await client.payment(order_id)
    assert payment is not None, "the in-flight charge was never processed"
    charges = [entry for entry in payment["ledger"] if entry["kind"] == "charge"]
    assert len(charges) <= 1, f"charged twice: {payment}"
    assert sum(entry["amount_cents"] for entry in payment["ledger"]) == 0, payment
    history = (await client.http.get(client.url("order", f"/v1/orders/{order_id}/events"))).json()
    types = [event["type"] for event in history["events"] if event["type"] != "StepRetried"]
    assert types == [
        "OrderPlaced", "InventoryReserved", "CompensationStarted", "PaymentRefunded",
        "OrderCancelled",
    ], "a late PaymentCompleted moved a cancelled order"  # fmt: skip
