"""Inspect and redrive dead-letter topics (`<topic>.dlq`).

What each dead letter says (error, attempts, origin) is read from its headers by
`dead_letters.DeadLetter`, the same record the consumer writes them with.

A redrive republishes each pending dead letter to its original topic with its original key,
value and event id, then commits the redrive group's offset on the DLQ. Every consumer group of
the original topic sees the event again; those that already applied it skip it by its event id
(inbox), so a redrive is always safe to repeat.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from workloads.contracts.topics import DLQ_SUFFIX
from workloads.shared.messaging.dead_letters import DeadLetter, carried_over, redriven_from
from workloads.shared.messaging.envelope import header_map
from workloads.shared.messaging.kafka import KafkaSettings, create_producer

REDRIVE_GROUP = "conveyor-dlq-redrive"
READ_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class DeadLetterRecord:
    """A record on a dead-letter topic: its coordinates there, key, headers and original value."""

    topic: str
    offset: int
    key: str | None
    headers: dict[str, str]
    value: bytes

    @property
    def letter(self) -> DeadLetter | None:
        """What its headers say; None for a record no consumer dead-lettered (malformed)."""
        try:
            return DeadLetter.from_headers(self.headers)
        except ValueError:
            return None

    @property
    def error(self) -> str:
        return self.letter.error if self.letter else ""

    @property
    def original_topic(self) -> str:
        """Where a redrive sends it: its recorded origin, else the topic the DLQ belongs to."""
        return self.letter.original_topic if self.letter else self.topic.removesuffix(DLQ_SUFFIX)


@dataclass(frozen=True)
class QueueSummary:
    topic: str
    total: int
    pending: int


async def _partitions(settings: KafkaSettings, topic: str) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(**settings.connection())
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if not described or described[0].get("error_code"):
        raise ValueError(f"no such topic: {topic}")
    return [TopicPartition(topic, p["partition"]) for p in described[0]["partitions"]]


async def dead_letter_topics(settings: KafkaSettings) -> list[str]:
    admin = AIOKafkaAdminClient(**settings.connection())
    await admin.start()
    try:
        return sorted(t for t in await admin.list_topics() if t.endswith(DLQ_SUFFIX))
    finally:
        await admin.close()


def _consumer(settings: KafkaSettings) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        **settings.connection(),
        group_id=REDRIVE_GROUP,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


async def summary(settings: KafkaSettings) -> list[QueueSummary]:
    topics = await dead_letter_topics(settings)
    consumer = _consumer(settings)
    await consumer.start()
    try:
        rows = []
        for topic in topics:
            tps = await _partitions(settings, topic)
            begin = await consumer.beginning_offsets(tps)
            end = await consumer.end_offsets(tps)
            total = sum(end[tp] - begin[tp] for tp in tps)
            pending = 0
            for tp in tps:
                committed = await consumer.committed(tp)
                pending += end[tp] - max(committed or 0, begin[tp])
            rows.append(QueueSummary(topic, total, pending))
        return rows
    finally:
        await consumer.stop()


async def read(
    settings: KafkaSettings, topic: str, *, pending_only: bool
) -> list[DeadLetterRecord]:
    """Every dead letter in `topic` (or only those not yet redriven)."""
    if not topic.endswith(DLQ_SUFFIX):
        raise ValueError(f"{topic} is not a dead-letter topic (it must end in {DLQ_SUFFIX})")
    tps = await _partitions(settings, topic)
    consumer = _consumer(settings)
    await consumer.start()
    try:
        consumer.assign(tps)
        end = await consumer.end_offsets(tps)
        for tp in tps:
            committed = await consumer.committed(tp) if pending_only else None
            if committed is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, committed)
        letters: list[DeadLetterRecord] = []
        deadline = time.monotonic() + READ_TIMEOUT_S
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {topic} to its end within {READ_TIMEOUT_S} s")
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for r in records:
                    if r.offset < end[TopicPartition(r.topic, r.partition)]:
                        letters.append(
                            DeadLetterRecord(
                                r.topic,
                                r.offset,
                                r.key.decode() if r.key else None,
                                header_map(r.headers),
                                r.value or b"",
                            )
                        )
        return sorted(letters, key=lambda letter: letter.offset)
    finally:
        await consumer.stop()


async def redrive(settings: KafkaSettings, topic: str, *, key: str | None = None) -> int:
    """Republish pending dead letters of `topic` to their original topic; returns how many.

    Without `key`, every pending letter goes back and the redrive group's offset moves past them.
    With `key` (an aggregate id), only that aggregate's letters go back and the offset stays, so
    the others remain pending; repeating a redrive is harmless either way (inbox).
    """
    letters = await read(settings, topic, pending_only=True)
    if key is not None:
        letters = [letter for letter in letters if letter.key == key]
    if not letters:
        return 0
    producer = create_producer(settings)
    await producer.start()
    try:
        sends = []
        for letter in letters:
            own = carried_over((k, v.encode()) for k, v in letter.headers.items())
            headers = [*own, redriven_from(topic, letter.offset)]
            sends.append(
                await producer.send(
                    letter.original_topic,
                    value=letter.value,
                    key=letter.key.encode() if letter.key else None,
                    headers=headers,
                )
            )
        await asyncio.gather(*sends)
    finally:
        await producer.stop()
    if key is not None:
        return len(letters)
    consumer = _consumer(settings)
    await consumer.start()
    try:
        # Dead-letter topics have one partition (see topics.dead_letter_topic).
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.commit({partition: letters[-1].offset + 1})
    finally:
        await consumer.stop()
    return len(letters)
