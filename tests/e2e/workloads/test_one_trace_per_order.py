"""One order placed through the API is one trace in the trace store, from POST to its end.

Asked of Zipkin's query API (`/api/v2/trace/{id}`), with the trace id the order service names in
its `traceresponse` header: spans of all four services under that one id — the POST, a producer
span for every record sent and a consumer span, its child, for every record handled, the
settlement of the charge, and database calls — up to the terminal event reaching notification.
An order the step-timeout sweeper cancels stays in that trace too: the sweeper continues the
context stored with the saga, so its compensation is not a trace of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from operators.local.stack import LocalStack
from tests.e2e.workloads.provider_tools import behave
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
TIMED_OUT_PATH = {
    ("inventory", "reserveinventory"),
    ("order", "inventoryreserved"),
    ("payment", "processpayment"),
    ("inventory", "releaseinventory"),
    ("notification", "ordercancelled"),
}
STEP_TIMEOUT_S = 10


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
    assert_one_trace(spans, trace_id, path)


def assert_one_trace(
    spans: list[dict[str, Any]], trace_id: str, path: set[tuple[str, str]]
) -> None:
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


@pytest.fixture
async def timing_out(client: SagaClient, workloads_restored: LocalStack) -> AsyncIterator[None]:
    """Short step timeouts, and a card provider that never settles: payment steps time out."""
    stack = workloads_restored
    stack.workloads.set_env("order", {"SAGA_STEP_TIMEOUT_S": str(STEP_TIMEOUT_S)})
    stack.workloads.restart("order", stack.settings.stop_timeout_s)
    await asyncio.to_thread(stack.wait_for_workloads, client.quiet_console())
    await behave(stack, failure_rate=1.0)
    try:
        yield
    finally:
        await behave(stack)


async def test_an_order_cancelled_by_a_step_timeout_stays_in_its_trace(
    client: SagaClient, timing_out: None
) -> None:
    product = await client.seed(available=5)
    response = await client.place(product, 1)
    assert response.status_code == 202
    trace_id = trace_id_of(response.headers)
    order_id = response.json()["order_id"]
    compensating = await client.wait_status(order_id, {"CANCELLING"}, timeout_s=90)
    assert compensating["cancel_reason"] == "timed out processing payment"
    await behave(client.stack)
    order = await client.wait_terminal(order_id, timeout_s=120)
    assert order["status"] == "CANCELLED"

    spans = await stored_trace(client, trace_id, TIMED_OUT_PATH)
    assert any(span["name"] == "time out processing_payment" for span in spans), (
        "the sweeper's timeout is not a span of the order's trace"
    )
    assert {span["traceId"] for span in spans} == {trace_id}
    roots = [span for span in spans if "parentId" not in span]
    assert [(r["kind"], r["name"]) for r in roots] == [("SERVER", "post /v1/orders")]
