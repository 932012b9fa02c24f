"""The order service's saga metrics tell the truth about orders that have not ended.

With the payment service held down, an accepted order cannot end: the saga-completion SLI's
gauges (`conveyor_saga_open_orders`, `conveyor_saga_open_oldest_age_seconds`, read from the order
database) must show it open and ageing, where the outcome counters see nothing at all.
"""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from operators.local.stack import LocalStack
from tests.e2e.workloads.saga_client import SagaClient
from tests.support.eventually import eventually


async def _gauges(client: SagaClient) -> dict[str, float]:
    text = (await client.http.get(client.url("order", "/metrics"))).text
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("conveyor_saga_open")
    }


async def test_an_order_that_cannot_end_is_seen_open_and_ageing(
    client: SagaClient, workloads_restored: LocalStack
) -> None:
    stack = workloads_restored
    product = await client.seed(available=5)
    stack.workloads.hold("payment", 0)
    order_id = await client.place_ok(product, 1)
    await client.wait_status(order_id, {"PENDING"})

    async def open_and_ageing() -> dict[str, float]:
        gauges = await _gauges(client)
        assert gauges.get("conveyor_saga_open_orders", 0) >= 1, gauges
        assert gauges.get("conveyor_saga_open_oldest_age_seconds", 0) >= 5, gauges
        return gauges

    await eventually(open_and_ageing, within_s=30, every_s=0.5)
