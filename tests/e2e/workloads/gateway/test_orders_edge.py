"""The order API at the gateway: `/v1` and `/v2` side by side, one merged OpenAPI document, and
the aggregated summary, whole with every upstream up and partial (flagged) with shipping down."""

from __future__ import annotations

from typing import Any

from operators.local.stack import LocalStack
from tests.e2e.workloads.gateway.edge_client import EdgeClient, User
from tests.e2e.workloads.saga_client import SagaClient
from tests.support.eventually import eventually


async def _shipped_order(edge: EdgeClient, client: SagaClient, user: User) -> str:
    order_id = await edge.place_ok(user, await client.seed(available=5, price_cents=1250), 2)
    await client.wait_status(order_id, {"SHIPPED"}, timeout_s=90)
    return order_id


async def test_v1_and_v2_answer_the_same_order_in_their_own_shapes(
    edge: EdgeClient, client: SagaClient
) -> None:
    user = await edge.user()
    order_id = await edge.place_ok(user, await client.seed(available=5, price_cents=1250), 2)
    v1 = await edge.request("GET", f"/v1/orders/{order_id}", token=user.access_token)
    v2 = await edge.request("GET", f"/v2/orders/{order_id}", token=user.access_token)
    assert v1.status_code == v2.status_code == 200, (v1.text, v2.text)
    old, new = v1.json(), v2.json()
    assert old["order_id"] == new["id"] == order_id
    assert "order_id" not in new
    assert "items" not in new
    assert old["customer_id"] == new["customer"]["id"] == user.user_id
    assert old["total_cents"] == new["total"]["amount_cents"] == 2500
    [line] = new["lines"]
    assert line["quantity"] == 2
    assert line["unit_price"] == {"amount_cents": 1250, "currency": "EUR"}
    other = await edge.user()
    refused = await edge.request("GET", f"/v2/orders/{order_id}", token=other.access_token)
    assert refused.status_code == 404  # v2 keeps v1's ownership rule


async def test_one_openapi_document_lists_v1_v2_the_summary_and_the_upstream_routes(
    edge: EdgeClient,
) -> None:
    async def merged() -> dict[str, Any]:
        response = await edge.request("GET", "/openapi.json")
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        assert not document.get("x-unavailable"), document.get("x-unavailable")
        return document

    paths = set((await eventually(merged, within_s=60))["paths"])
    expected = {
        "/v1/orders", "/v1/orders/{order_id}", "/v2/orders/{order_id}",
        "/v1/orders/{order_id}/summary", "/v1/payments/{order_id}", "/v1/shipments",
        "/v1/auth/login", "/v1/users", "/v1/products", "/v1/inventory/{product_id}",
    }  # fmt: skip
    assert expected <= paths, f"missing from the merged document: {sorted(expected - paths)}"
    assert not any(p.startswith(("/health", "/metrics")) for p in paths)


async def test_the_summary_puts_order_payment_and_shipment_together(
    edge: EdgeClient, client: SagaClient
) -> None:
    user = await edge.user()
    order_id = await _shipped_order(edge, client, user)
    path = f"/v1/orders/{order_id}/summary"
    response = await edge.request("GET", path, token=user.access_token)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["partial"] is False
    assert summary["unavailable"] == []
    assert summary["order"]["order_id"] == order_id
    assert summary["payment"]["order_id"] == order_id
    assert summary["shipment"]["order_id"] == order_id


async def test_with_shipping_down_the_summary_is_partial_and_names_the_shipment(
    edge: EdgeClient, client: SagaClient, workloads_restored: LocalStack
) -> None:
    user = await edge.user()
    order_id = await _shipped_order(edge, client, user)
    workloads_restored.workloads.hold("shipping", 0)  # SIGKILL, and kept down
    path = f"/v1/orders/{order_id}/summary"

    async def degraded() -> dict[str, object]:
        response = await edge.request("GET", path, token=user.access_token)
        assert response.status_code == 200, response.text
        summary: dict[str, object] = response.json()
        assert summary["partial"] is True, summary
        return summary

    summary = await eventually(degraded, within_s=60)
    assert summary["unavailable"] == ["shipment"]
    assert summary["shipment"] is None
    assert summary["order"]["order_id"] == order_id  # type: ignore[index]
    assert summary["payment"]["order_id"] == order_id  # type: ignore[index]
