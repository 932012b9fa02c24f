"""Step timeouts against real outages: the broker's own outage never cancels an order, a stuck
service still does.

The order service's step deadline is meant for a dependency that does not answer, not for the
platform's broker being away: an order accepted while Kafka is down must end CONFIRMED once it is
back (valid card, stock), while an order whose payment service is down with Kafka up is still
compensated after one step timeout, once it has consumed the command and not answered. A
payment service that is down leaves its command queued (consumer lag): that order waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from rich.console import Console

from operators.local.stack import LocalStack
from tests.e2e.workloads.provider_tools import behave
from tests.e2e.workloads.saga_client import SUCCEEDED, SagaClient
from tests.support.eventually import eventually

STEP_TIMEOUT_S = 10


@pytest.fixture
async def calm_provider(stack: LocalStack) -> AsyncIterator[LocalStack]:
    """For a test that slows the provider down: back to normal afterwards."""
    yield stack
    await behave(stack)


async def _short_step_timeouts(
    client: SagaClient, stack: LocalStack, *, recovery_s: float | None = None
) -> None:
    env = {"SAGA_STEP_TIMEOUT_S": str(STEP_TIMEOUT_S)}
    if recovery_s is not None:  # the start-up hold is max(step, recovery)
        env["SAGA_BROKER_RECOVERY_S"] = str(recovery_s)
    stack.workloads.set_env("order", env)
    stack.workloads.restart("order", stack.settings.stop_timeout_s)
    await asyncio.to_thread(stack.wait_for_workloads, client.quiet_console())


async def test_orders_accepted_while_kafka_is_down_confirm_after_it_returns(
    client: SagaClient, workloads_restored: LocalStack
) -> None:
    stack = workloads_restored
    await _short_step_timeouts(client, stack)
    product = await client.seed(available=500)
    accepted: list[str] = []

    async def place_one() -> None:
        # An order the service could not take is not the invariant's concern.
        with contextlib.suppress(httpx.HTTPError):
            accepted.append(await client.place_ok(product, 1))

    database = await asyncpg.connect(stack.postgres.dsn("order"))
    await asyncio.to_thread(stack.kafka.stop)
    try:
        # Orders keep arriving (one per check) until the first of them has waited for more than
        # its step timeout by the database's clock: the deadlines of the early orders ran out
        # while the broker was away, and the sweeper had many rounds to act on them.
        async def first_orders_outlived_their_step() -> None:
            await place_one()
            assert accepted, "no order was accepted while Kafka was down"
            waited = await database.fetchval(
                "SELECT extract(epoch FROM now() - created_at) FROM orders WHERE order_id = $1",
                accepted[0],
            )
            assert waited > STEP_TIMEOUT_S + 3, f"the first order has waited {waited:.1f} s"

        await eventually(first_orders_outlived_their_step, within_s=60, every_s=0.5)
    finally:
        await database.close()
        await asyncio.to_thread(stack.kafka.start, Console(file=io.StringIO()))
    await asyncio.to_thread(stack.wait_for_workloads, client.quiet_console())

    finals = await asyncio.gather(*(client.wait_terminal(o, timeout_s=120) for o in accepted))
    cancelled = {f["order_id"]: f["cancel_reason"] for f in finals if f["status"] not in SUCCEEDED}
    assert not cancelled, f"{len(cancelled)} of {len(accepted)} good orders cancelled: {cancelled}"
    assert (await client.stock(product))["available"] == 500 - len(accepted)


async def test_a_payment_service_that_consumed_the_command_and_never_answered_is_compensated(
    client: SagaClient, workloads_restored: LocalStack, calm_provider: LocalStack
) -> None:
    stack = workloads_restored
    await _short_step_timeouts(client, stack)
    product = await client.seed(available=3)
    await behave(stack, failure_rate=1.0)  # payment takes the command; the card never settles
    order_id = await client.place_ok(product, 2)

    compensating = await client.wait_status(order_id, {"CANCELLING"}, timeout_s=60)
    assert compensating["cancel_reason"] == "timed out processing payment"
    await behave(stack)

    order = await client.wait_terminal(order_id, timeout_s=120)
    assert order["status"] == "CANCELLED"
    assert (await client.stock(product))["available"] == 3, "the reservation was not released"
    payment = await client.payment(order_id)
    assert payment is not None, "the payment service never saw the command it was sent"
    assert sum(entry["amount_cents"] for entry in payment["ledger"]) == 0, payment


async def test_a_payment_service_down_with_kafka_up_holds_the_order_until_it_returns(
    client: SagaClient, workloads_restored: LocalStack
) -> None:
    """Its command waits, unconsumed, on its partition (consumer lag): queued, not unanswered."""
    stack = workloads_restored
    await _short_step_timeouts(client, stack, recovery_s=0)  # no start-up hold beyond a step
    product = await client.seed(available=3)
    stack.workloads.hold("payment", 0)
    order_id = await client.place_ok(product, 2)
    database = await asyncpg.connect(stack.postgres.dsn("order"))
    try:

        async def outlived_its_step() -> None:
            waited = await database.fetchval(
                "SELECT extract(epoch FROM now() - created_at) FROM orders WHERE order_id = $1",
                order_id,
            )
            assert waited > 2 * STEP_TIMEOUT_S + 3, f"the order has waited {waited:.1f} s"

        await eventually(outlived_its_step, within_s=60, every_s=0.5)
    finally:
        await database.close()
    assert (await client.order(order_id))["status"] == "PENDING", "cancelled while queued"
    stack.workloads.release("payment", 0)

    order = await client.wait_terminal(order_id, timeout_s=120)
    assert order["status"] in SUCCEEDED, order
