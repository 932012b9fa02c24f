"""Delivery guarantees on the real services: duplicates, poison messages, DLQ, redrive, crashes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg

from operators.local.stack import LocalStack
from tests.e2e.workloads.kafka_tools import (
    committed,
    end_offsets,
    publish_raw,
    records_with_key,
    wait_dead_letter,
)
from tests.e2e.workloads.saga_client import SUCCEEDED, SagaClient
from tests.support import consumer_faults
from tests.support.eventually import eventually
from workloads.contracts import events as ev
from workloads.contracts.topics import dlq_topic
from workloads.shared.messaging import dlq
from workloads.shared.messaging.envelope import Envelope

CONVEYOR = str(Path(sys.executable).with_name("conveyor"))

PAYMENTS_DLQ = dlq_topic("payments.commands")
# Failure injection lives outside the services (tests/support/consumer_faults.py); a workload
# loads it only when told to, through an environment a production pipeline refuses.
FAULTS = {"CONVEYOR_TEST_HOOKS": "tests.support.consumer_faults"}


async def test_the_same_event_delivered_five_times_has_effect_once(
    client: SagaClient, stack: LocalStack
) -> None:
    product = await client.seed(available=10)
    order_id = f"external-{uuid.uuid4()}"
    command = ev.ReserveInventory(
        order_id=order_id, items=[ev.OrderLine(product_id=product, quantity=3)]
    )
    envelope = Envelope.wrap(command, correlation_id="five-times")
    tp = await publish_raw(
        stack,
        envelope.topic,
        envelope.to_value(),
        key=order_id,
        headers=envelope.headers(),
        times=5,
    )
    last = (await end_offsets(stack, [tp]))[tp] - 1  # the fifth copy, or a record after it

    # Inventory commits an offset only after applying every record before it, so once its
    # committed offset passes the fifth copy, all five deliveries were handled.
    async def all_five_handled() -> None:
        reached = (await committed(stack, "inventory", [tp]))[tp]
        assert reached > last, f"inventory has read {tp} up to {reached}, not past {last}"

    await eventually(all_five_handled, within_s=30)
    conn = await asyncpg.connect(stack.postgres.dsn("inventory"))
    try:
        held = await conn.fetchval(
            "SELECT sum(quantity) FROM reservations WHERE order_id = $1", order_id
        )
        assert held == 3

        # The effect that would repeat without the inbox: a reply per delivery. The effects
        # committed with their outbox rows; once the relay has drained them, all are on Kafka.
        async def replies_published() -> None:
            left = await conn.fetchval("SELECT count(*) FROM outbox WHERE key = $1", order_id)
            assert left == 0, f"{left} replies for {order_id} not yet published"

        await eventually(replies_published, within_s=30)
    finally:
        await conn.close()
    stock = await client.stock(product)
    assert (stock["available"], stock["held"]) == (7, 3)
    records = await records_with_key(stack, "inventory.reserved", order_id)
    replies = {
        reply.event_id
        for reply in (Envelope.from_value(record.value) for record in records)
        if reply.causation_id == str(envelope.event_id)
    }
    assert len(replies) == 1, f"{len(replies)} InventoryReserved for one command delivered 5 times"


async def test_a_poison_message_goes_to_the_dlq_after_three_tries_and_the_consumer_moves_on(
    client: SagaClient, stack: LocalStack
) -> None:
    key = f"poison-{uuid.uuid4()}"
    await publish_raw(stack, "payments.commands", b"\x00 this is not an envelope", key=key)
    record = await wait_dead_letter(stack, PAYMENTS_DLQ, key=key)
    letter = record.letter
    assert letter is not None, record.headers
    assert letter.attempts == 3
    assert letter.original_topic == "payments.commands"
    assert letter.consumer_group == "payment"
    assert letter.original_offset >= 0
    assert "PoisonMessageError" in letter.error

    product = await client.seed(available=2)
    order_id = await client.place_ok(product, 1)
    assert (await client.wait_terminal(order_id))["status"] in SUCCEEDED


async def test_a_failing_message_is_redriven_after_the_fix(
    client: SagaClient, workloads_restored: LocalStack
) -> None:
    stack = workloads_restored
    stack.workloads.set_env("payment", {**FAULTS, "FAULT_FAIL_EVENT_TYPES": "ProcessPayment"})
    stack.workloads.set_env("order", {"SAGA_STEP_TIMEOUT_S": "300"})
    _restart(stack, "payment", "order")

    product = await client.seed(available=2)
    order_id = await client.place_ok(product, 1)
    letter = await wait_dead_letter(stack, PAYMENTS_DLQ, key=order_id)
    assert "injected failure" in letter.error
    order = await client.order(order_id)
    assert (order["status"], order["saga_step"]) == ("PENDING", "PROCESSING_PAYMENT")

    stack.workloads.set_env("payment", {})  # the fix
    _restart(stack, "payment")
    redrive = await asyncio.to_thread(
        subprocess.run,
        [CONVEYOR, "dlq", "redrive", PAYMENTS_DLQ, "--key", order_id],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert redrive.returncode == 0, redrive.stderr
    assert (await client.wait_terminal(order_id))["status"] in SUCCEEDED
    payment = await client.payment(order_id)
    assert payment is not None
    assert payment["ledger"] == [{"kind": "charge", "amount_cents": 1000}]


async def test_a_crash_after_publishing_before_the_offset_commit_applies_once(
    client: SagaClient, workloads_restored: LocalStack, tmp_path: Path
) -> None:
    stack = workloads_restored
    marker = tmp_path / "crashed"
    stack.workloads.set_env(
        "payment",
        {
            **FAULTS,
            "FAULT_CRASH_AFTER_APPLY": "ProcessPayment",
            "FAULT_CRASH_MARKER": str(marker),
        },
    )
    _restart(stack, "payment")
    pid_before = stack.workloads.process("payment", 0).pid()

    product = await client.seed(available=2)
    order_id = await client.place_ok(product, 1)
    assert (await client.wait_terminal(order_id))["status"] in SUCCEEDED
    assert marker.exists(), "the injected crash did not happen"

    async def restarted() -> None:
        pid = stack.workloads.process("payment", 0).pid()
        assert pid not in {pid_before, None}, "payment was not restarted after its crash"

    await eventually(restarted, within_s=30)
    # the old process is gone, so the marker says what it saw before it exited
    assert marker.read_text() == consumer_faults.PUBLISHED, "it crashed before its reply was sent"
    stack.wait_for_workloads(SagaClient.quiet_console())

    payment = await client.payment(order_id)
    assert payment is not None
    assert payment["ledger"] == [{"kind": "charge", "amount_cents": 1000}], "charged twice"


def _restart(stack: LocalStack, *names: str) -> None:
    for name in names:
        stack.workloads.restart(name, stack.settings.stop_timeout_s)
    stack.wait_for_workloads(SagaClient.quiet_console())


async def test_a_full_redrive_empties_the_pending_queue_and_a_poison_comes_back(
    client: SagaClient, stack: LocalStack
) -> None:
    settings = stack.kafka.client_settings()
    key = f"poison-{uuid.uuid4()}"
    await publish_raw(stack, "payments.commands", b"not an envelope either", key=key)
    await wait_dead_letter(stack, PAYMENTS_DLQ, key=key)

    topic = PAYMENTS_DLQ
    before = await dlq.read(settings, topic, pending_only=True)
    assert any(letter.key == key for letter in before)
    last = max(letter.offset for letter in before)
    assert await dlq.redrive(settings, topic) == len(before)
    after = await dlq.read(settings, topic, pending_only=True)
    assert all(letter.offset > last for letter in after), "redriven letters are still pending"

    async def parked_again() -> None:  # still poison: it is dead-lettered again
        pending = await dlq.read(settings, topic, pending_only=True)
        assert any(letter.key == key for letter in pending), "the redriven poison never came back"
        assert all(letter.offset > last for letter in pending), "a redriven letter is pending"

    await eventually(parked_again, within_s=30, every_s=0.3)
