"""Money at the card provider: each confirmed order is charged exactly once, where it counts.

The fake provider (operators/local/fakes/payment_provider) is its own process with its own ledger
and makes a charge for every request with a new idempotency key, so these tests count charges
there, where a second call would show — not in payment's ledger, whose unique index hides one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from operators.local.stack import LocalStack
from tests.e2e.workloads.kafka_tools import committed, end_offsets, publish_raw
from tests.e2e.workloads.provider_tools import behave, charges, ledger
from tests.e2e.workloads.saga_client import SUCCEEDED, SagaClient
from tests.support.eventually import eventually
from workloads.contracts import events as ev
from workloads.shared.messaging.envelope import Envelope


@pytest.fixture
async def calm_provider(stack: LocalStack) -> AsyncIterator[LocalStack]:
    """For tests that slow the provider down or make it fail: back to normal afterwards."""
    yield stack
    await behave(stack)


async def test_a_payment_command_delivered_many_times_is_charged_once_at_the_provider(
    client: SagaClient, calm_provider: LocalStack
) -> None:
    stack = calm_provider
    # Slower than payment's call timeout: no answer can arrive until the copies are all handled,
    # so every copy meets the pending intent (and a copy answered later would be a second reply).
    await behave(stack, latency_ms=5000)
    order_id = str(uuid.uuid4())  # order ids are UUIDs: the payment route refuses anything else
    command = ev.ProcessPayment(
        order_id=order_id, customer_id="c-1", amount_cents=1000, card_token="tok_visa"
    )
    first = Envelope.wrap(command, correlation_id="many-times")
    tp = await publish_raw(
        stack, first.topic, first.to_value(), key=order_id, headers=first.headers(), times=3
    )
    for _ in range(3):  # the same command as new messages, as a saga retry or a redrive sends it
        again = Envelope.wrap(command, correlation_id="many-times")
        await publish_raw(
            stack, again.topic, again.to_value(), key=order_id, headers=again.headers()
        )
    last = (await end_offsets(stack, [tp]))[tp] - 1

    async def all_copies_handled() -> None:
        reached = (await committed(stack, "payment", [tp]))[tp]
        assert reached > last, f"payment has read {tp} up to {reached}, not past {last}"

    await eventually(all_copies_handled, within_s=30)
    pending = await client.payment(order_id)
    assert pending is not None
    assert pending["status"] == "pending", pending
    await behave(stack)

    async def charged() -> None:
        payment = await client.payment(order_id)
        assert payment is not None, f"no payment for {order_id}"
        assert payment["status"] == "charged", payment

    await eventually(charged, within_s=30)
    made = await charges(stack, order_id)
    assert len(made) == 1, f"six deliveries made {len(made)} charges at the provider: {made}"


async def test_a_payment_service_killed_between_the_call_and_the_record_charges_once(
    client: SagaClient, workloads_restored: LocalStack, calm_provider: LocalStack
) -> None:
    stack = workloads_restored
    stack.workloads.set_env("order", {"SAGA_STEP_TIMEOUT_S": "300"})  # no step timeout here
    stack.workloads.restart("order", stack.settings.stop_timeout_s)
    stack.wait_for_workloads(SagaClient.quiet_console())
    product = await client.seed(available=2)
    # Slower than payment's call timeout: the provider charges, and no answer ever arrives.
    await behave(stack, latency_ms=5000)
    order_id = await client.place_ok(product, 1)

    async def charged_but_not_recorded() -> None:
        made = await charges(stack, order_id)
        assert len(made) == 1, f"the provider has {len(made)} charges for {order_id}"
        payment = await client.payment(order_id)
        assert payment is not None, f"no payment intent for {order_id} yet"
        assert payment["status"] == "pending", payment

    await eventually(charged_but_not_recorded, within_s=30, every_s=0.2)
    stack.workloads.hold("payment", 0)  # SIGKILL: the call was made, its answer dies here
    conn = await asyncpg.connect(stack.postgres.dsn("payment"))
    try:
        unsettled = await conn.fetchval(
            "SELECT count(*) FROM provider_intents WHERE order_id = $1 AND settled_at IS NULL",
            order_id,
        )
    finally:
        await conn.close()
    assert unsettled == 1, "the charge was recorded before the kill: nothing was tested"

    await behave(stack)
    stack.workloads.release("payment", 0)
    final = await client.wait_terminal(order_id, timeout_s=90)
    assert final["status"] in SUCCEEDED, final
    made = await charges(stack, order_id)
    assert len(made) == 1, f"charged {len(made)} times at the provider: {made}"
    payment = await client.payment(order_id)
    assert payment is not None
    assert payment["provider_charge_id"] == made[0]["id"]
    assert payment["ledger"] == [{"kind": "charge", "amount_cents": 1000}]


async def test_a_flaky_provider_still_charges_every_order_exactly_once(
    client: SagaClient, calm_provider: LocalStack
) -> None:
    stack = calm_provider
    await behave(stack, failure_rate=0.5)  # raised while everything runs: no restart
    product = await client.seed(available=20)
    orders = await asyncio.gather(*(client.place_ok(product, 1) for _ in range(8)))
    finals = await asyncio.gather(*(client.wait_terminal(o, timeout_s=90) for o in orders))
    assert all(f["status"] in SUCCEEDED for f in finals), finals
    at_provider = await ledger(stack, *orders)
    assert {o: at_provider.get(o, {}).get("charges", 0) for o in orders} == dict.fromkeys(orders, 1)
