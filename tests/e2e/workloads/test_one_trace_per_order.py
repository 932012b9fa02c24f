"""One order placed through the API is one trace in the trace store, from POST to its end.

Asked of Zipkin's query API (`/api/v2/trace/{id}`), with the trace id the order service names in
its `traceresponse` header: spans of all four services under that one id — the POST, a producer
span for every record sent and a consumer span, its child, for every record handled, the
settlement of the charge, and database calls — up to the terminal event reaching notification.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.workloads.saga_client import SUCCEEDED, SagaClient
from tests.support.eventually import eventually

# Consumer spans the saga's path must contain, as (service, message type): Zipkin lower-cases names.
CONFIRMED_PATH = {
    ("inventory", "reserveinventory"),
    ("order", "inventoryreserved"),
    ("payment", "processpayment"),
    ("order", "paymentcompleted"),
    ("inventory", "orderconfirmed"),
    ("notification", "orderconfirmed"),
    ("shipping", "orderconfirmed"),
    ("order", "ordershipped"),
}
CANCELLED_PATH = {
    ("inventory", "reserveinventory"),
    ("order", "inventoryreserved"),
    ("payment", "processpayment"),
    ("order", "paymentfailed"),
    ("inventory", "releaseinventory"),
    ("notification", "ordercancelled"),
}


def trace_id_of(headers: Any) -> str:
    version, trace_id, _span, _flags = headers["traceresponse"].split("-")
    assert version == "00", headers["traceresponse"]
    return str(trace_id)


async def stored_trace(
    client: SagaClient, trace_id: str, path: set[tuple[str, str]]
) -> list[dict[str, Any]]:
    """The trace as Zipkin holds it, once every consumer span of the path has arrived."""
    url = f"{client.stack.zipkin.url}/api/v2/trace/{trace_id}"

    async def complete() -> list[dict[str, Any]]:
        response = await client.http.get(url)
        assert response.status_code == 200, f"Zipkin has no trace {trace_id} yet"
        spans: list[dict[str, Any]] = response.json()
        consumed = {
            (span["localEndpoint"]["serviceName"], span["name"].removeprefix("consume "))
            for span in spans
            if span.get("kind") == "CONSUMER"
        }
        assert path <= consumed, f"not (yet) in trace {trace_id}: {sorted(path - consumed)}"
        return spans

    return await eventually(complete, within_s=90, every_s=1)


@pytest.mark.parametrize(
    ("card", "statuses", "path"),
    [("tok_visa", SUCCEEDED, CONFIRMED_PATH), ("tok_decline", {"CANCELLED"}, CANCELLED_PATH)],
)
async def test_an_order_is_one_trace_through_every_service_and_hop(
    client: SagaClient, card: str, statuses: set[str], path: set[tuple[str, str]]
) -> None:
    product = await client.seed(available=5)
    response = await client.place(product, 1, card=card)
    assert response.status_code == 202
    trace_id = trace_id_of(response.headers)
    order = await client.wait_terminal(response.json()["order_id"])
    assert order["status"] in statuses

    spans = await stored_trace(client, trace_id, path)

    assert {span["traceId"] for span in spans} == {trace_id}
    services = {service for service, _ in path}  # shipping joins a confirmed order's trace
    assert {span["localEndpoint"]["serviceName"] for span in spans} == services
    by_id = {span["id"]: span for span in spans}
    roots = [span for span in spans if "parentId" not in span]
    assert [(r["kind"], r["name"]) for r in roots] == [("SERVER", "post /v1/orders")]
    for span in spans:
        if span.get("kind") == "CONSUMER":  # the child of the send that carried the record
            parent = by_id[span["parentId"]]
            assert parent["kind"] == "PRODUCER", f"{span['name']} under {parent['name']}"
    sent = {span["name"] for span in spans if span.get("kind") == "PRODUCER"}
    assert {"send inventory.commands", "send payments.commands"} <= sent
    queried = {
        span["localEndpoint"]["serviceName"]
        for span in spans
        if span.get("tags", {}).get("db.system") == "postgresql"
    }
    assert queried == services, "database calls missing from some service's spans"
    settled = [s for s in spans if s["name"] == "settle charge"]
    assert settled, "the payment's settlement (the call to the card provider) left the trace"
