"""Shipping on the real services: a confirmed order ships once, and the shipment can be read.

The order service publishes `OrderConfirmed`; shipping creates the shipment and announces
`OrderShipped`, which moves the order to SHIPPED. Redelivering the confirmation (the same record
again, and a copy with a new event id, which the inbox cannot recognise) must not create a
second shipment nor a second `OrderShipped`.
"""

from __future__ import annotations

import uuid

import asyncpg

from operators.local.stack import LocalStack
from tests.e2e.workloads.kafka_tools import committed, end_offsets, publish_raw, records_with_key
from tests.e2e.workloads.saga_client import SagaClient
from tests.support.eventually import eventually
from workloads.shared.messaging.envelope import Envelope


async def test_a_confirmed_order_ships_once_even_when_its_confirmation_is_redelivered(
    client: SagaClient, stack: LocalStack
) -> None:
    product = await client.seed(available=5)
    order_id = await client.place_ok(product, 2)
    await client.wait_status(order_id, {"SHIPPED"}, timeout_s=90)

    [confirmed] = await records_with_key(stack, "orders.confirmed", order_id)
    original = Envelope.from_value(confirmed.value)
    copy = original.model_copy(update={"event_id": uuid.uuid4()})  # new id: past the inbox
    await publish_raw(stack, "orders.confirmed", confirmed.value, key=order_id,
                      headers=list(confirmed.headers), times=3)  # fmt: skip
    tp = await publish_raw(
        stack, "orders.confirmed", copy.to_value(), key=order_id, headers=copy.headers()
    )
    last = (await end_offsets(stack, [tp]))[tp] - 1

    async def shipping_read_them_all() -> None:
        reached = (await committed(stack, "shipping", [tp]))[tp]
        assert reached > last, f"shipping has read {tp} up to {reached}, not past {last}"

    await eventually(shipping_read_them_all, within_s=60)
    conn = await asyncpg.connect(stack.postgres.dsn("shipping"))
    try:
        count = "SELECT count(*) FROM shipments WHERE order_id = $1"
        assert await conn.fetchval(count, order_id) == 1

        async def announced() -> None:
            left = await conn.fetchval("SELECT count(*) FROM outbox WHERE key = $1", order_id)
            assert left == 0, f"{left} OrderShipped of {order_id} not yet published"

        await eventually(announced, within_s=30)
    finally:
        await conn.close()
    shipped = await records_with_key(stack, "shipping.shipped", order_id)
    assert len(shipped) == 1, f"{len(shipped)} OrderShipped for one order"
    history = (await client.http.get(client.url("order", f"/v1/orders/{order_id}/events"))).json()
    assert [e["type"] for e in history["events"]].count("OrderShipped") == 1
    assert (await client.order(order_id))["status"] == "SHIPPED"


async def test_the_shipment_is_readable_by_id_and_by_order(client: SagaClient) -> None:
    product = await client.seed(available=5)
    order_id = await client.place_ok(product, 3, customer="customer-ship")
    await client.wait_status(order_id, {"SHIPPED"}, timeout_s=90)

    listed = await client.http.get(client.url("shipping", "/v1/shipments"),
                                   params={"order_id": order_id})  # fmt: skip
    assert listed.status_code == 200, listed.text
    [shipment] = listed.json()["shipments"]
    assert shipment["order_id"] == order_id
    assert shipment["customer_id"] == "customer-ship"
    assert shipment["status"] == "SHIPPED"
    assert shipment["item_count"] == 3
    assert shipment["carrier"]
    assert shipment["tracking_number"].startswith(shipment["carrier"])

    one = await client.http.get(client.url("shipping", f"/v1/shipments/{shipment['shipment_id']}"))
    assert one.status_code == 200
    assert one.json() == shipment
    history = (await client.http.get(client.url("order", f"/v1/orders/{order_id}/events"))).json()
    [event] = [e for e in history["events"] if e["type"] == "OrderShipped"]
    assert event["data"] == {"carrier": shipment["carrier"], "shipment_id": shipment["shipment_id"]}

    missing = await client.http.get(client.url("shipping", f"/v1/shipments/{uuid.uuid4()}"))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    bad = await client.http.get(client.url("shipping", "/v1/shipments"), params={"order_id": "x"})
    assert bad.status_code == 422
    unshipped = await client.http.get(client.url("shipping", "/v1/shipments"),
                                      params={"order_id": str(uuid.uuid4())})  # fmt: skip
    assert unshipped.json()["shipments"] == []
