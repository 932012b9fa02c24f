"""DLQ depth is the dead letters not yet redriven, read from a real broker's offsets.

Records on a dead-letter topic count until the redrive group's offset passes them; a partial
redrive leaves the rest counted; a topic the broker does not have is left out, not reported 0.
"""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import REGISTRY

from operators.local.stack import LocalStack
from workloads.contracts.topics import DAY_MS, TopicSpec
from workloads.shared.messaging.dlq import REDRIVE_GROUP
from workloads.shared.messaging.dlq_depth import DlqDepthReader
from workloads.shared.messaging.kafka import create_producer, ensure_topics


async def test_depth_counts_dead_letters_until_redriven(stack: LocalStack) -> None:
    settings = stack.kafka.client_settings()
    topic = f"test.depth.{uuid.uuid4().hex[:8]}.dlq"
    missing = f"test.missing.{uuid.uuid4().hex[:8]}.dlq"
    await ensure_topics(
        settings, [TopicSpec(topic, partitions=1, key="order id", retention_ms=DAY_MS)]
    )
    producer = create_producer(settings)
    await producer.start()
    try:
        sends = [await producer.send(topic, key=b"k", value=b"poison") for _ in range(5)]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()

    reader = DlqDepthReader(settings, [topic, missing])
    try:
        await reader.refresh()
        assert REGISTRY.get_sample_value("conveyor_dlq_depth_messages", {"topic": topic}) == 5
        assert REGISTRY.get_sample_value("conveyor_dlq_depth_messages", {"topic": missing}) is None

        # A redrive of the first three moves the redrive group's offset past them (dlq.redrive).
        redrive = AIOKafkaConsumer(
            **settings.connection(), group_id=REDRIVE_GROUP, enable_auto_commit=False
        )
        await redrive.start()
        try:
            partition = TopicPartition(topic, 0)
            redrive.assign([partition])
            await redrive.commit({partition: 3})
        finally:
            await redrive.stop()
        await reader.refresh()
        assert REGISTRY.get_sample_value("conveyor_dlq_depth_messages", {"topic": topic}) == 2
    finally:
        await reader.close()
