"""Publish raw records, read topics and dead letters, and see how far a consumer group has read.

The group's committed offsets are what tests wait on to show that something did NOT happen: a
service commits an offset only after the records before it were applied (or dead-lettered), so a
committed offset past a record proves the service had its chance at it.
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from operators.local.stack import LocalStack
from tests.support.eventually import eventually
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
) -> TopicPartition:
    """Send `times` copies; returns the partition they went to (one key, one partition)."""
    producer = create_producer(stack.kafka.client_settings())
    await producer.start()
    try:
        for _ in range(times):
            sent = await producer.send_and_wait(
                topic, value, key=key.encode(), headers=headers or []
            )
    finally:
        await producer.stop()
    return TopicPartition(topic, sent.partition)


async def wait_dead_letter(
    stack: LocalStack, topic: str, *, key: str, timeout_s: float = 30
) -> dlq.DeadLetterRecord:
    async def parked() -> dlq.DeadLetterRecord:
        letters = await dlq.read(stack.kafka.client_settings(), topic, pending_only=False)
        found = [letter for letter in letters if letter.key == key]
        assert found, f"nothing with key {key} reached {topic}"
        return found[-1]

    return await eventually(parked, within_s=timeout_s, every_s=0.3)


async def partitions(stack: LocalStack, topic: str) -> list[TopicPartition]:
    """Every partition `topic` has on the broker now.

    Asked of the broker, not of workloads/contracts/topics.py: the declared width is a floor
    (the operator grows event topics to its pipeline's `kafka.topics.partitions`, ADR 0038), and
    partitions never shrink, so a shared broker can hold more than the declaration says.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka.bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    numbers = sorted(int(p["partition"]) for d in described for p in d["partitions"])
    assert numbers, f"{topic} has no partitions on {stack.kafka.bootstrap_servers}"
    return [TopicPartition(topic, p) for p in numbers]


async def end_offsets(stack: LocalStack, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
    """The offset the next record of each partition will get."""
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.kafka.bootstrap_servers)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(tps))
    finally:
        await consumer.stop()


async def committed(
    stack: LocalStack, group: str, tps: list[TopicPartition]
) -> dict[TopicPartition, int]:
    """The group's committed offset (the next record it will read) per partition; 0 if none."""
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka.bootstrap_servers)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group, partitions=tps)
    finally:
        await admin.close()
    return {tp: max(offsets[tp].offset, 0) if tp in offsets else 0 for tp in tps}


async def lag(stack: LocalStack, group: str, topics: set[str]) -> int:
    """Records of these topics the group has not committed yet: work waiting for it."""
    tps = [tp for topic in sorted(topics) for tp in await partitions(stack, topic)]
    end = await end_offsets(stack, tps)
    done = await committed(stack, group, tps)
    return sum(end[tp] - done[tp] for tp in tps)


async def records_with_key(
    stack: LocalStack, topic: str, key: str
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of `topic` with this key, read from the beginning."""
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.kafka.bootstrap_servers)
    await consumer.start()
    try:
        tps = await partitions(stack, topic)
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
