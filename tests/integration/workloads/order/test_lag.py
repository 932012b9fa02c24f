"""The sweeper's lag check against the real Kafka and PostgreSQL: queued is not late.

A step whose command still waits on its partition (the dependency down, frozen or cut off) is
deferred however late; once the dependency's group has committed past it and nothing answered,
the same step times out. Scratch topic and group, so the running services do not interfere.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from operators.local.stack import LocalStack
from tests.integration.workloads.order.test_sweeper import (
    RESERVED,
    STEP_TIMEOUT_S,
    _make_overdue,
    _order,
    _row,
)
from tests.support.eventually import eventually
from workloads.order import handlers, jobs
from workloads.order.adapters.lag import Backlog, LagReader, Queue
from workloads.order.domain.order import Step
from workloads.shared.database import Pool
from workloads.shared.messaging.kafka import KafkaSettings


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def command_queue(stack: LocalStack) -> AsyncIterator[tuple[KafkaSettings, Queue]]:
    settings = KafkaSettings(bootstrap_servers=stack.kafka.bootstrap_servers)
    queue = Queue(f"lag-test-{uuid.uuid4().hex[:8]}", f"lag-test-{uuid.uuid4().hex[:8]}")
    admin = AIOKafkaAdminClient(**settings.connection())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(queue.topic, 3, 1)])
        yield settings, queue
        await admin.delete_topics([queue.topic])
    finally:
        await admin.close()


async def _consume_and_commit(settings: KafkaSettings, queue: Queue) -> None:
    consumer = AIOKafkaConsumer(
        queue.topic,
        **settings.connection(),
        group_id=queue.group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:

        async def consumed() -> None:
            batch = await consumer.getmany(timeout_ms=1000)
            assert any(batch.values()), "the command is not delivered yet"

        await eventually(consumed, within_s=30)
        await consumer.commit()
    finally:
        await consumer.stop()


async def test_a_step_whose_command_is_not_consumed_waits_then_times_out_once_it_is(
    order_pool: Pool, command_queue: tuple[KafkaSettings, Queue]
) -> None:
    settings, queue = command_queue
    order_id = await _order(order_pool, RESERVED)  # PROCESSING_PAYMENT
    await _make_overdue(order_pool, order_id, by_s=120)
    producer = AIOKafkaProducer(**settings.connection())
    await producer.start()
    try:
        await producer.send_and_wait(queue.topic, b"ProcessPayment", key=order_id.encode())
    finally:
        await producer.stop()
    clock = Clock()
    reader = LagReader(settings, queues=[queue], clock=clock)
    queues = {Step.PROCESSING_PAYMENT: (queue,)}

    def queued_by(backlog: Backlog) -> handlers.Queued:
        return jobs.queued_by(
            backlog, max_wait_s=300, quiet_s=STEP_TIMEOUT_S, queues_of_step=queues
        )

    try:
        backlog = await reader.snapshot()
        queued = queued_by(backlog)
        await handlers.time_out_overdue_steps(
            order_pool, step_timeout_s=STEP_TIMEOUT_S, queued=queued
        )
        row = await _row(order_pool, order_id)
        assert (row["status"], row["saga_step"]) == ("PENDING", "PROCESSING_PAYMENT"), row
        assert float(str(row["wait_s"])) > STEP_TIMEOUT_S - 5, "deferred by a whole step"

        await _consume_and_commit(settings, queue)  # payment consumed it, and never answered
        for _ in range(2):  # a full step from consumption, then a genuine timeout
            row = await _row(order_pool, order_id)
            assert (row["status"], row["saga_step"]) == ("PENDING", "PROCESSING_PAYMENT"), row
            await _make_overdue(order_pool, order_id)
            clock.now += STEP_TIMEOUT_S  # the partition has been quiet for a step
            backlog = await reader.snapshot()
            queued = queued_by(backlog)
            await handlers.time_out_overdue_steps(
                order_pool, step_timeout_s=STEP_TIMEOUT_S, queued=queued
            )
    finally:
        await reader.close()
    row = await _row(order_pool, order_id)
    assert (row["status"], row["saga_step"]) == ("CANCELLING", "REFUNDING_PAYMENT"), row
