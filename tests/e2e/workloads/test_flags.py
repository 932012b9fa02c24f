"""Flags change running services: one file, read while they run, no restart (ADR 0036).

Each test changes a flag in the stack's flags file exactly as `conveyor flags set` does, waits
until every running replica evaluates the new value (their /metrics, `flag_tools`), then checks
that the behaviour follows; the fixture puts the pipeline's flags back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from operators.local import flags_file
from operators.local.plan import read
from operators.local.stack import LocalStack
from tests.e2e.workloads.flag_tools import evaluated_everywhere, set_flag
from tests.e2e.workloads.saga_client import SUCCEEDED, SagaClient
from tests.support.eventually import eventually
from workloads.inventory.consumers import INJECTED
from workloads.shared.flags.names import CONFIRMATION_V2, INVENTORY_ERROR_RATE


@pytest.fixture
async def pipeline_flags(stack: LocalStack, client: SagaClient) -> AsyncIterator[LocalStack]:
    """The flags as the pipeline has them, before and after the test (inventory's, seen)."""
    spec = read(stack.settings.pipeline).spec
    path = flags_file.location(stack.settings)
    flags_file.write_from_pipeline(path, spec)
    yield stack
    flags_file.write_from_pipeline(path, spec)
    await evaluated_everywhere(stack, client.http, "inventory", INVENTORY_ERROR_RATE, 0.0)


async def test_an_inventory_error_flag_changes_a_running_inventory_and_back(
    client: SagaClient, pipeline_flags: LocalStack
) -> None:
    stack = pipeline_flags
    processes = {r.pid for r in stack.workloads.status() if r.name == "inventory"}
    product = await client.seed(available=50)

    set_flag(stack, INVENTORY_ERROR_RATE.key, "1")
    await evaluated_everywhere(stack, client.http, "inventory", INVENTORY_ERROR_RATE, 1.0)
    failed = await client.wait_terminal(await client.place_ok(product), timeout_s=60)
    assert failed["status"] == "CANCELLED", failed
    assert INJECTED in str(failed), failed

    set_flag(stack, INVENTORY_ERROR_RATE.key, "none")  # the pipeline's variant by name
    await evaluated_everywhere(stack, client.http, "inventory", INVENTORY_ERROR_RATE, 0.0)
    healed = await client.wait_terminal(await client.place_ok(product), timeout_s=60)
    assert healed["status"] in SUCCEEDED, healed  # shipping may have shipped it already

    after = {r.pid for r in stack.workloads.status() if r.name == "inventory"}
    assert after == processes  # the same processes: no restart


async def test_a_rollout_flag_turned_on_gives_a_customer_the_new_confirmation(
    client: SagaClient, pipeline_flags: LocalStack
) -> None:
    product = await client.seed(available=50)
    set_flag(pipeline_flags, CONFIRMATION_V2.key, "on")  # everyone, not a fifth

    async def new_text() -> None:
        order_id = await client.place_ok(product, customer="rollout-customer")
        order = await client.wait_terminal(order_id, timeout_s=60)
        assert order["status"] in SUCCEEDED, order

        async def notified() -> str:
            response = await client.http.get(
                client.url("notification", f"/v1/notifications/{order_id}")
            )
            response.raise_for_status()
            bodies = [n["body"] for n in response.json()["notifications"]]
            assert bodies, f"no notification for {order_id} yet"
            return str(bodies[0])

        body = await eventually(notified, within_s=30)
        assert body.startswith("Good news"), body

    await eventually(new_text, within_s=90, every_s=1)
