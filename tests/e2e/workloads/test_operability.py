"""Health, metrics, JSON logs with correlation ids, and Prometheus scraping every workload."""

from __future__ import annotations

import json
import uuid

from aiokafka import ConsumerRecord
from prometheus_client.parser import text_string_to_metric_families

from operators.local.stack import LocalStack
from tests.e2e.workloads.kafka_tools import publish_raw, records_with_key, wait_dead_letter
from tests.e2e.workloads.saga_client import SUCCEEDED, SagaClient
from tests.support.eventually import eventually

WORKLOADS = ("order", "inventory", "payment", "notification")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

# What one confirmed order and one poison command must record, per workload: (metric, labels).
# Samples, not HELP lines: a family is described on /metrics even if nothing was ever recorded.
RECORDED = {
    "order": [
        ("conveyor_http_requests_total",
         {"method": "POST", "route": "/v1/orders", "status": "202"}),
        ("conveyor_saga_outcomes_total", {"outcome": "confirmed"}),
        ("conveyor_messages_handled_total",
         {"group": "order-saga", "topic": "payments.completed", "outcome": "applied"}),
        ("conveyor_outbox_published_total", {"topic": "inventory.commands"}),
    ],
    "inventory": [
        ("conveyor_http_requests_total",
         {"method": "PUT", "route": "/v1/admin/inventory/{product_id}", "status": "200"}),
        ("conveyor_messages_handled_total",
         {"group": "inventory", "topic": "inventory.commands", "outcome": "applied"}),
    ],
    "payment": [
        ("conveyor_messages_handled_total",
         {"group": "payment", "topic": "payments.commands", "outcome": "applied"}),
        ("conveyor_messages_handled_total",
         {"group": "payment", "topic": "payments.commands", "outcome": "dead_lettered"}),
        ("conveyor_dlq_messages_total", {"topic": "payments.commands"}),
    ],
    "notification": [
        ("conveyor_messages_handled_total",
         {"group": "notification", "topic": "orders.confirmed", "outcome": "applied"}),
    ],
}  # fmt: skip


async def _samples(client: SagaClient, name: str) -> Samples:
    text = (await client.http.get(client.url(name, "/metrics"))).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _not_grown(name: str, before: Samples, after: Samples) -> list[str]:
    """The samples RECORDED expects of this workload that did not grow between two scrapes."""
    stale = []
    for metric, labels in RECORDED[name]:
        key = (metric, frozenset(labels.items()))
        if after.get(key, 0.0) <= before.get(key, 0.0):
            stale.append(f"{name}: {metric}{labels} {before.get(key)} -> {after.get(key)}")
    return stale


async def test_every_workload_is_live_ready_and_records_metrics_of_real_traffic(
    client: SagaClient, stack: LocalStack
) -> None:
    for name in WORKLOADS:
        assert (await client.http.get(client.url(name, "/health/live"))).status_code == 200
        ready = await client.http.get(client.url(name, "/health/ready"))
        assert ready.status_code == 200
        assert ready.json()["checks"] == {
            "database": True, "kafka": True, "consumers": True,
        }  # fmt: skip
    before = {name: await _samples(client, name) for name in WORKLOADS}

    product = await client.seed(available=1)
    order_id = await client.place_ok(product, 1)
    assert (await client.wait_terminal(order_id))["status"] in SUCCEEDED
    key = f"poison-{uuid.uuid4()}"
    await publish_raw(stack, "payments.commands", b"not an envelope", key=key)
    await wait_dead_letter(stack, "payments.commands.dlq", key=key)

    async def recorded() -> None:  # notification may still be applying OrderConfirmed
        after = {name: await _samples(client, name) for name in WORKLOADS}
        missing = [line for n in WORKLOADS for line in _not_grown(n, before[n], after[n])]
        assert not missing, missing

    await eventually(recorded, within_s=20, every_s=0.3)


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
    assert (await client.wait_terminal(order_id))["status"] in SUCCEEDED
    # NotificationSent is the last hop: order, inventory, order, payment, order, notification.

    async def notified() -> list[ConsumerRecord[bytes, bytes]]:
        records = await records_with_key(stack, "notifications.send", order_id)
        assert records, "no NotificationSent for the order"
        return records

    records = await eventually(notified, within_s=20, every_s=0.3)
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

    async def every_replica_up() -> None:
        result = (await client.http.get(url, params={"query": 'up{job="workloads"}'})).json()
        up = {r["metric"]["workload"]: r["value"][1] for r in result["data"]["result"]}
        assert up == {w.name: "1" for w in stack.workloads.plan().workloads}, up

    await eventually(every_replica_up, within_s=30, every_s=1)
