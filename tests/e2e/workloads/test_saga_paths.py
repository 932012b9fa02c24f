"""The order saga's paths through the real services: confirm, compensate, cancel, refuse."""

from __future__ import annotations

import uuid

from operators.local.stack import LocalStack
from tests.e2e.workloads.saga_client import SUCCEEDED, SagaClient


async def test_happy_path_reaches_confirmed_and_notifies(client: SagaClient) -> None:
    product = await client.seed(available=10, price_cents=1250)
    response = await client.place(product, 2)
    assert response.status_code == 202
    order_id = response.json()["order_id"]
    assert response.headers["location"] == f"/v1/orders/{order_id}"

    order = await client.wait_status(order_id, {"SHIPPED"})  # confirmed, then shipped
    assert order["total_cents"] == 2500
    assert (await client.stock(product))["available"] == 8
    payment = await client.payment(order_id)
    assert payment is not None
    assert payment["status"] == "charged"
    assert payment["ledger"] == [{"kind": "charge", "amount_cents": 2500}]

    history = (await client.http.get(client.url("order", f"/v1/orders/{order_id}/events"))).json()
    assert [e["type"] for e in history["events"]] == [
        "OrderPlaced",
        "InventoryReserved",
        "PaymentCompleted",
        "OrderConfirmed",
        "OrderShipped",
    ]
    assert history["events"][0]["data"]["card_token"] == "[redacted]"


async def test_payment_failure_compensates_and_cancels(client: SagaClient) -> None:
    product = await client.seed(available=5)
    order_id = await client.place_ok(product, 3, card="tok_decline")
    order = await client.wait_terminal(order_id)
    assert order["status"] == "CANCELLED"
    assert order["cancel_reason"].startswith("payment failed")
    assert (await client.stock(product))["available"] == 5, "stock was not restored"
    payment = await client.payment(order_id)
    assert payment is not None
    assert payment["status"] == "declined"
    assert payment["ledger"] == [], "a declined payment left a charge"


async def test_inventory_shortage_cancels_without_charge(client: SagaClient) -> None:
    product = await client.seed(available=1)
    order_id = await client.place_ok(product, 2)
    order = await client.wait_terminal(order_id)
    assert order["status"] == "CANCELLED"
    assert "insufficient stock" in order["cancel_reason"]
    assert await client.payment(order_id) is None, "payment was attempted for an unreserved order"
    assert (await client.stock(product))["available"] == 1


async def test_same_key_same_body_is_the_same_order_and_other_body_conflicts(
    client: SagaClient,
) -> None:
    product = await client.seed(available=10)
    key = str(uuid.uuid4())
    first = await client.place(product, 1, key=key)
    again = await client.place(product, 1, key=key)
    assert first.status_code == again.status_code == 202
    assert first.json()["order_id"] == again.json()["order_id"]
    other = await client.place(product, 2, key=key)
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    await client.wait_terminal(first.json()["order_id"])
    assert (await client.stock(product))["available"] == 9, "a replay reserved stock again"


async def test_customer_cancellation_refunds_releases_and_is_idempotent(
    client: SagaClient, workloads_restored: LocalStack
) -> None:
    # Shipping ships a confirmed order at once, and a shipped order cannot be cancelled.
    workloads_restored.workloads.hold("shipping", 0)
    product = await client.seed(available=4)
    order_id = await client.place_ok(product, 2)
    assert (await client.wait_terminal(order_id))["status"] in SUCCEEDED

    url = client.url("order", f"/v1/orders/{order_id}/cancel")
    first, second = await client.http.post(url), await client.http.post(url)
    assert first.status_code == second.status_code == 202
    order = await client.wait_terminal(order_id)
    assert order["status"] == "CANCELLED"
    assert order["cancel_reason"] == "cancelled by customer"
    assert (await client.stock(product))["available"] == 4
    payment = await client.payment(order_id)
    assert payment is not None
    assert payment["status"] == "refunded"
    assert sum(entry["amount_cents"] for entry in payment["ledger"]) == 0
    assert len(payment["ledger"]) == 2, "refunded more than once"


async def test_cancellation_after_shipment_is_refused(client: SagaClient) -> None:
    product = await client.seed(available=3)
    order_id = await client.place_ok(product, 1)
    assert (await client.wait_terminal(order_id))["status"] in SUCCEEDED
    await client.wait_status(order_id, {"SHIPPED"})  # shipped by the shipping service

    refused = await client.http.post(client.url("order", f"/v1/orders/{order_id}/cancel"))
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "shipped" in refused.json()["detail"]
    assert (await client.order(order_id))["status"] == "SHIPPED"
