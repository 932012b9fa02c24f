"""A consumer group with manual commits survives a broker restart: nothing lost, nothing re-read."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict

from aiokafka import AIOKafkaConsumer, TopicPartition
from rich.console import Console

from operators.local.stack import LocalStack
from tests.support.eventually import eventually
from workloads.contracts.topics import DAY_MS, TopicSpec
from workloads.shared.messaging.kafka import (
    KafkaSettings,
    create_consumer,
    create_producer,
    ensure_topics,
)


async def _produce(settings: KafkaSettings, topic: str, values: range) -> None:
    producer = create_producer(settings)
    await producer.start()
    try:
        sends = [
            await producer.send(topic, key=f"key-{i % 7}".encode(), value=f"{i}".encode())
            for i in values
        ]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def _consume(
    consumer: AIOKafkaConsumer, count: int, *, timeout_s: float = 60
) -> tuple[list[tuple[str, int]], dict[TopicPartition, int]]:
    """Read exactly `count` records; return (key, value) pairs and the next offset per partition."""
    seen: list[tuple[str, int]] = []
    next_offsets: dict[TopicPartition, int] = {}

    async def all_arrived() -> None:
        batch = await consumer.getmany(timeout_ms=500, max_records=count - len(seen))
        for tp, records in batch.items():
            for record in records:
                assert record.key is not None
                assert record.value is not None
                seen.append((record.key.decode(), int(record.value)))
                next_offsets[tp] = record.offset + 1
        assert len(seen) == count, f"only {len(seen)} of {count} records arrived"

    await eventually(all_arrived, within_s=timeout_s, every_s=0)
    return seen, next_offsets


async def test_group_resumes_from_committed_offsets_after_broker_restart(
    stack: LocalStack, quiet: Console
) -> None:
    settings = stack.kafka.client_settings()
    topic = f"test.resume.{uuid.uuid4().hex[:8]}"
    group = f"resume-{uuid.uuid4().hex[:8]}"
    await ensure_topics(
        settings, [TopicSpec(topic, partitions=3, key="test key", retention_ms=DAY_MS)]
    )
    await _produce(settings, topic, range(300))

    first = create_consumer(settings, topic, group_id=group)
    await first.start()
    try:
        seen_before, offsets = await _consume(first, 150)
        await first.commit(offsets)
    finally:
        await first.stop()

    stack.kafka.stop()
    stack.kafka.start(quiet)
    await _produce(settings, topic, range(300, 450))

    second = create_consumer(settings, topic, group_id=group)
    await second.start()
    try:
        seen_after, offsets = await _consume(second, 300)
        # Nothing beyond: having read 300 records the group stands at the end of every partition
        # (a wait for more records could only show that none came *yet*).
        assigned = sorted(second.assignment())
        positions = {tp: await second.position(tp) for tp in assigned}
        end = await second.end_offsets(assigned)
        await second.commit(offsets)
    finally:
        await second.stop()

    before = [value for _, value in seen_before]
    after = [value for _, value in seen_after]
    assert len(assigned) == 3, f"the group holds {assigned}, not the topic's 3 partitions"
    assert positions == end, "records beyond the expected 300 were left after the restart"
    assert not set(before) & set(after), "committed records were read again"
    assert len(after) == len(set(after)), "a record was delivered twice to the same group"
    assert sorted(before + after) == list(range(450)), "records were lost"

    by_key: dict[str, list[int]] = defaultdict(list)
    for key, value in seen_before + seen_after:
        by_key[key].append(value)
    for key, values in by_key.items():
        assert values == sorted(values), f"records of {key} arrived out of order"
