"""A reservation whose order never confirms is released when it expires."""

from __future__ import annotations

import asyncio
import uuid

from operators.local.stack import LocalStack
from tests.e2e.workloads.kafka_tools import publish_raw, records_with_key
from tests.e2e.workloads.saga_client import SagaClient
from tests.support.eventually import eventually
from workloads.contracts import events as ev
from workloads.shared.messaging.envelope import Envelope


async def test_an_unconfirmed_reservation_expires_and_stock_returns(
    client: SagaClient, workloads_restored: LocalStack
) -> None:
    stack = workloads_restored
    stack.workloads.set_env(
        "inventory", {"RESERVATION_TTL_S": "1", "EXPIRY_SCAN_INTERVAL_S": "0.2"}
    )
    stack.workloads.restart("inventory", stack.settings.stop_timeout_s)
    await asyncio.to_thread(stack.wait_for_workloads, client.quiet_console())

    product = await client.seed(available=5)
    order_id = f"abandoned-{uuid.uuid4()}"  # no saga will ever confirm it
    command = ev.ReserveInventory(
        order_id=order_id, items=[ev.OrderLine(product_id=product, quantity=2)]
    )
    envelope = Envelope.wrap(command, correlation_id="expiry")
    await publish_raw(
        stack, envelope.topic, envelope.to_value(), key=order_id, headers=envelope.headers()
    )

    # Not a poll for a glimpse of `held == 2` (gone again within the 1 s TTL): the expiry job's
    # own announcement says what it held and gave back.
    async def expired() -> None:
        records = await records_with_key(stack, "inventory.released", order_id)
        envelopes = [Envelope.from_value(record.value) for record in records]
        released = {e.event_id: e.read_as(ev.InventoryReleased).released_units for e in envelopes}
        assert list(released.values()) == [2], f"units released so far: {released}"
        stock = await client.stock(product)
        assert (stock["available"], stock["held"]) == (5, 0), f"stock not back: {stock}"

    await eventually(expired, within_s=20, every_s=0.2)
