"""The saga's metrics tell the truth: orders that have not ended, and the money that moved.

With the payment service held down, an accepted order cannot end: the saga-completion SLI's
gauges (`conveyor_saga_open_orders`, `conveyor_saga_open_oldest_age_seconds`, read from the order
database) must show it open and ageing, where the outcome counters see nothing at all.
"""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from operators.local.stack import LocalStack
from tests.e2e.workloads.saga_client import SUCCEEDED, SagaClient
from tests.support.eventually import eventually


async def _gauges(client: SagaClient) -> dict[str, float]:
    text = (await client.http.get(client.url("order", "/metrics"))).text
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("conveyor_saga_open")
    }


async def _money(client: SagaClient) -> tuple[float, float]:
    """(charges settled as charged, cents charged) on the payment service."""
    text = (await client.http.get(client.url("payment", "/metrics"))).text
    found = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    charged = found.get(
        ("conveyor_payments_total", (("operation", "charge"), ("outcome", "charged"))), 0.0
    )
    cents = found.get(("conveyor_payment_amount_cents_total", (("operation", "charge"),)), 0.0)
    return charged, cents


async def test_a_confirmed_order_counts_one_charge_and_its_amount(client: SagaClient) -> None:
    product = await client.seed(available=2, price_cents=1234)
    before = await _money(client)
    order_id = await client.place_ok(product, 2)
    assert (await client.wait_terminal(order_id))["status"] in SUCCEEDED
    # Other tests may charge meanwhile: at least this order's charge and cents.
    charged, cents = await _money(client)
    assert charged >= before[0] + 1
    assert cents >= before[1] + 2468


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
        seen = f"{gauges}; order {order_id} is {(await client.order(order_id))['status']}"
        assert gauges.get("conveyor_saga_open_orders", 0) >= 1, seen
        assert gauges.get("conveyor_saga_open_oldest_age_seconds", 0) >= 5, seen
        return gauges

    await eventually(open_and_ageing, within_s=30, every_s=0.5)
