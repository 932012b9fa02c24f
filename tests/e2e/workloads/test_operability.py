"""Health, metrics, JSON logs with correlation ids, and Prometheus scraping every workload."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from operators.local.stack import LocalStack
from tests.e2e.workloads.kafka_tools import records_with_key
from tests.e2e.workloads.saga_client import SagaClient

FAMILIES = (
    "conveyor_http_requests_total",
    "conveyor_outbox_backlog",
    "conveyor_messages_handled_total",
    "conveyor_dlq_messages_total",
)


async def test_every_workload_is_live_ready_and_exposes_metrics(client: SagaClient) -> None:
    for name in ("order", "inventory", "payment", "notification"):
        assert (await client.http.get(client.url(name, "/health/live"))).status_code == 200
        ready = await client.http.get(client.url(name, "/health/ready"))
        assert ready.status_code == 200
        assert ready.json()["checks"] == {
            "database": True, "kafka": True, "consumers": True,
        }  # fmt: skip
        metrics = (await client.http.get(client.url(name, "/metrics"))).text
        for family in FAMILIES:
            assert family in metrics, f"{name} lacks {family}"


async def test_the_correlation_id_travels_from_http_through_every_service(
    client: SagaClient, stack: LocalStack
) -> None:
    product = await client.seed(available=3)
    correlation = f"trace-me-{uuid.uuid4().hex[:8]}"
    response = await client.http.post(
        client.url("order", "/v1/orders"),
        json={"customer_id": "c", "items": [{"product_id": product, "quantity": 1}],
              "payment": {"card_token": "tok_visa"}},
        headers={"Idempotency-Key": str(uuid.uuid4()), "X-Correlation-ID": correlation},
    )  # fmt: skip
    assert response.headers["x-correlation-id"] == correlation
    order_id = response.json()["order_id"]
    assert (await client.wait_terminal(order_id))["status"] == "CONFIRMED"
    # NotificationSent is the last hop: order, inventory, order, payment, order, notification.
    deadline = time.monotonic() + 20
    while not (records := await records_with_key(stack, "notifications.send", order_id)):
        assert time.monotonic() < deadline, "no NotificationSent for the order"
        await asyncio.sleep(0.3)
    headers = dict(records[0].headers)
    assert headers["correlation_id"] == correlation.encode()
    assert headers["traceparent"], "trace context did not travel"
    for name in ("order", "inventory", "payment"):
        log = stack.workloads.process(name, 0).log_file.read_text().splitlines()
        lines = [json.loads(line) for line in log if line.startswith("{")]
        assert all({"ts", "level", "message", "service", "correlation_id"} <= set(x) for x in lines)


async def test_prometheus_scrapes_every_workload_replica(
    client: SagaClient, stack: LocalStack
) -> None:
    url = f"http://{stack.prometheus.address}/api/v1/query"
    deadline = time.monotonic() + 30
    while True:
        result = (await client.http.get(url, params={"query": 'up{job="workloads"}'})).json()
        up = {r["metric"]["workload"]: r["value"][1] for r in result["data"]["result"]}
        if up == {"order": "1", "inventory": "1", "payment": "1", "notification": "1"}:
            return
        assert time.monotonic() < deadline, up
        await asyncio.sleep(1)
