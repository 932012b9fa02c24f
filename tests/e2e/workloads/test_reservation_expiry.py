"""A reservation whose order never confirms is released when it expires."""

from __future__ import annotations

import asyncio
import time
import uuid

from operators.local.stack import LocalStack
from tests.e2e.workloads.kafka_tools import publish_raw
from tests.e2e.workloads.saga_client import SagaClient
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

    deadline = time.monotonic() + 20
    seen_held = False
    while True:
        stock = await client.stock(product)
        seen_held = seen_held or stock["held"] == 2
        if seen_held and stock["available"] == 5 and stock["held"] == 0:
            break
        assert time.monotonic() < deadline, f"the reservation never expired: {stock}"
        await asyncio.sleep(0.2)
