"""Consumer lag is the records a group has not committed, per partition, against a real broker.

A member that has fetched records but not committed them still shows them as lag (a handler
stuck mid-batch is lag, not progress); a commit brings the partition to 0; new records raise it
again; and a member exports only the partitions assigned to it.
"""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import REGISTRY

from operators.local.stack import LocalStack
from tests.support.eventually import eventually
from workloads.contracts.topics import DAY_MS, TopicSpec
from workloads.order.adapters.lag import partition_of
from workloads.shared.messaging.consumer_lag import LagExporter
from workloads.shared.messaging.kafka import (
    KafkaSettings,
    create_consumer,
    create_producer,
    ensure_topics,
)


async def _produce(settings: KafkaSettings, topic: str, key: str, count: int) -> None:
    producer = create_producer(settings)
    await producer.start()
    try:
        sends = [await producer.send(topic, key=key.encode(), value=b"v") for _ in range(count)]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


def _lag(group: str, topic: str, partition: int) -> float | None:
    return REGISTRY.get_sample_value(
        "conveyor_kafka_consumer_lag_messages",
        {"group": group, "topic": topic, "partition": str(partition)},
    )


async def _fetch(consumer: AIOKafkaConsumer, count: int) -> dict[TopicPartition, int]:
    """Fetch `count` records without committing; the next offset per partition."""
    fetched: dict[TopicPartition, int] = {}
    seen: list[int] = []

    async def all_fetched() -> None:
        for tp, records in (await consumer.getmany(timeout_ms=500)).items():
            seen.extend(r.offset for r in records)
            fetched[tp] = records[-1].offset + 1
        assert len(seen) == count, f"fetched {len(seen)} of {count}"

    await eventually(all_fetched, within_s=60, every_s=0)
    return fetched


async def test_lag_counts_uncommitted_records_per_assigned_partition(stack: LocalStack) -> None:
    settings = stack.kafka.client_settings()
    topic = f"test.lag.{uuid.uuid4().hex[:8]}"
    group = f"lag-{uuid.uuid4().hex[:8]}"
    await ensure_topics(
        settings, [TopicSpec(topic, partitions=3, key="test key", retention_ms=DAY_MS)]
    )
    await _produce(settings, topic, "a", 5)
    await _produce(settings, topic, "b", 2)
    busy_a, busy_b = partition_of("a", 3), partition_of("b", 3)

    consumer = create_consumer(settings, topic, group_id=group)
    exporter = LagExporter(group)
    await consumer.start()
    try:
        fetched = await _fetch(consumer, 7)
        await exporter.export(consumer)
        expected = dict.fromkeys(range(3), 0)
        expected[busy_a] += 5
        expected[busy_b] += 2
        assert {p: _lag(group, topic, p) for p in range(3)} == expected, (
            "fetched but uncommitted records must count as lag"
        )

        await consumer.commit(fetched)
        exporter.committed(fetched)
        await _produce(settings, topic, "a", 3)
        await exporter.export(consumer)
        expected = dict.fromkeys(range(3), 0)
        expected[busy_a] = 3
        assert {p: _lag(group, topic, p) for p in range(3)} == expected

        exporter.forget()
        assert _lag(group, topic, busy_a) is None, "a member without a session exports nothing"
    finally:
        await consumer.stop()
