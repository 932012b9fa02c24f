"""Kafka is down: the services still start, take orders into their outbox, and finish them later."""

from __future__ import annotations

import asyncio
from functools import partial

import httpx

from operators.local.stack import LocalStack
from tests.e2e.workloads.saga_client import SUCCEEDED, SagaClient
from tests.support.eventually import eventually

WORKLOADS = ("order", "inventory", "payment", "notification")


async def test_services_start_while_kafka_is_down_and_every_accepted_order_completes(
    client: SagaClient, workloads_restored: LocalStack
) -> None:
    stack = workloads_restored
    # Long step deadlines: that an outage must not cancel orders is another fix (issue #10);
    # this test is about starting, accepting and resuming.
    stack.workloads.set_env("order", {"SAGA_STEP_TIMEOUT_S": "600"})
    stack.workloads.restart("order", stack.settings.stop_timeout_s)
    stack.wait_for_workloads(SagaClient.quiet_console())
    product = await client.seed(available=50)

    await asyncio.to_thread(stack.kafka.stop)
    try:
        await asyncio.to_thread(stack.workloads.restart, None, stack.settings.stop_timeout_s)
        for name in WORKLOADS:
            await eventually(partial(_live, client, name), within_s=30, every_s=0.5)
        ready = await client.http.get(client.url("order", "/health/ready"))
        assert ready.status_code == 503, ready.text
        assert ready.json()["checks"]["kafka"] is False, ready.text
        pids = {name: stack.workloads.process(name, 0).pid() for name in WORKLOADS}
        accepted = [await client.place_ok(product, 1) for _ in range(10)]
        pending = [(await client.order(order_id))["status"] for order_id in accepted]
        assert set(pending) == {"PENDING"}, pending
    finally:
        await asyncio.to_thread(stack.kafka.start, SagaClient.quiet_console())

    for order_id in accepted:
        order = await client.wait_terminal(order_id, timeout_s=120)
        assert order["status"] in SUCCEEDED, order
    after = {name: stack.workloads.process(name, 0).pid() for name in WORKLOADS}
    assert after == pids, "a workload restarted during the outage or when Kafka came back"

    async def sold() -> None:
        stock = await client.stock(product)
        assert (stock["available"], stock["held"]) == (40, 0), stock

    await eventually(sold, within_s=30)


async def _live(client: SagaClient, name: str) -> None:
    try:
        response = await client.http.get(client.url(name, "/health/live"), timeout=2)
    except httpx.HTTPError as exc:
        raise AssertionError(f"{name} is not live: {exc!r}") from exc
    assert response.status_code == 200, f"{name}: {response.status_code}"
