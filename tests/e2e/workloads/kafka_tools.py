"""Publish raw records and read dead letters, for tests that talk to Kafka directly."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from operators.local.stack import LocalStack
from workloads.contracts.topics import TOPICS
from workloads.shared.messaging import dlq
from workloads.shared.messaging.kafka import create_producer


async def publish_raw(
    stack: LocalStack,
    topic: str,
    value: bytes,
    *,
    key: str,
    headers: list[tuple[str, bytes]] | None = None,
    times: int = 1,
) -> None:
    producer = create_producer(stack.kafka.client_settings())
    await producer.start()
    try:
        for _ in range(times):
            await producer.send_and_wait(topic, value, key=key.encode(), headers=headers or [])
    finally:
        await producer.stop()


async def wait_dead_letter(
    stack: LocalStack, topic: str, *, key: str, timeout_s: float = 30
) -> dlq.DeadLetterRecord:
    deadline = time.monotonic() + timeout_s
    while True:
        letters = await dlq.read(stack.kafka.client_settings(), topic, pending_only=False)
        found = [letter for letter in letters if letter.key == key]
        if found:
            return found[-1]
        assert time.monotonic() < deadline, f"nothing with key {key} reached {topic}"
        await asyncio.sleep(0.3)


async def records_with_key(
    stack: LocalStack, topic: str, key: str
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of `topic` with this key, read from the beginning."""
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.kafka.bootstrap_servers)
    await consumer.start()
    try:
        spec = next(t for t in TOPICS if t.name == topic)
        tps = [TopicPartition(topic, p) for p in range(spec.partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        found = []
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found += [r for r in records if r.key == key.encode()]
        return found
    finally:
        await consumer.stop()
