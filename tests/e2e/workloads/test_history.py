"""A history check in the spirit of Jepsen, run after the other e2e tests (marked `history`).

Read every event ever published on every event topic and every consumer group's inbox. Every
event a group subscribes to must be applied by that group exactly once: present in its inbox (the
primary key makes "more than once" impossible), unless it is still parked in a dead-letter topic
for that group. And no money moved twice: the ledger holds at most one charge and one refund per
order, and only orders with a charge were refunded money.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from operators.local.stack import LocalStack
from workloads.contracts.registry import spec_of
from workloads.contracts.topics import DLQ_SUFFIX, TOPICS
from workloads.inventory.consumers import READS as INVENTORY
from workloads.notification.consumers import READS as NOTIFICATION
from workloads.order.consumers import READS as ORDER
from workloads.payment.consumers import READS as PAYMENT
from workloads.shared.messaging import dlq
from workloads.shared.messaging.envelope import Envelope, PoisonMessageError

pytestmark = pytest.mark.history

GROUPS = {  # consumer group -> (service database, what it reads)
    **{g: ("order", r) for g, r in ORDER.items()},
    **{g: ("inventory", r) for g, r in INVENTORY.items()},
    **{g: ("payment", r) for g, r in PAYMENT.items()},
    **{g: ("notification", r) for g, r in NOTIFICATION.items()},
}


async def _published(stack: LocalStack) -> dict[str, set[uuid.UUID]]:
    """(topic/event type) -> event ids, over the whole retained history."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=stack.kafka.bootstrap_servers, enable_auto_commit=False
    )
    await consumer.start()
    seen: dict[str, set[uuid.UUID]] = defaultdict(set)
    try:
        topics = [t.name for t in TOPICS if not t.name.endswith(DLQ_SUFFIX)]
        tps = [
            TopicPartition(t, p)
            for t in topics
            for p in range(next(s.partitions for s in TOPICS if s.name == t))
        ]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            for records in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values():
                for record in records:
                    try:
                        envelope = Envelope.from_value(record.value)
                    except PoisonMessageError:
                        continue
                    seen[f"{record.topic}/{envelope.event_type}"].add(envelope.event_id)
    finally:
        await consumer.stop()
    return seen


async def _parked(stack: LocalStack) -> set[tuple[str, uuid.UUID]]:
    """(group, event id) of dead letters: events a group gave up on."""
    parked: set[tuple[str, uuid.UUID]] = set()
    settings = stack.kafka.client_settings()
    for topic in await dlq.dead_letter_topics(settings):
        for record in await dlq.read(settings, topic, pending_only=False):
            try:
                event_id = Envelope.from_value(record.value).event_id
            except PoisonMessageError:
                continue
            group = record.letter.consumer_group if record.letter else ""
            parked.add((group, event_id))
    return parked


async def _missing(stack: LocalStack) -> dict[str, set[uuid.UUID]]:
    published = await _published(stack)
    parked = await _parked(stack)
    missing: dict[str, set[uuid.UUID]] = {}
    for group, (service, reads) in GROUPS.items():
        conn = await asyncpg.connect(stack.postgres.dsn(service))
        try:
            applied = {
                r["event_id"]
                for r in await conn.fetch(
                    "SELECT event_id FROM inbox WHERE consumer_group = $1", group
                )
            }
        finally:
            await conn.close()
        expected = set().union(
            *(
                published.get(f"{spec_of(r.message_type).topic}/{r.message_type}", set())
                for r in reads
            )
        )
        gaps = {e for e in expected - applied if (group, e) not in parked}
        if gaps:
            missing[group] = gaps
    return missing


async def test_every_published_event_is_applied_once_by_every_group_that_reads_it(
    stack: LocalStack,
) -> None:
    deadline = time.monotonic() + 60
    missing = await _missing(stack)
    while missing and time.monotonic() < deadline:  # let in-flight work drain
        await asyncio.sleep(2)
        missing = await _missing(stack)
    assert not missing, {g: len(ids) for g, ids in missing.items()}


async def test_no_order_was_charged_or_refunded_twice(stack: LocalStack) -> None:
    conn = await asyncpg.connect(stack.postgres.dsn("payment"))
    try:
        doubled = await conn.fetch(
            "SELECT order_id, kind, count(*) FROM ledger"
            " GROUP BY order_id, kind HAVING count(*) > 1"
        )
        stray = await conn.fetch(
            "SELECT r.order_id FROM ledger r LEFT JOIN ledger c ON c.order_id = r.order_id"
            " AND c.kind = 'charge' WHERE r.kind = 'refund' AND c.order_id IS NULL"
        )
        over = await conn.fetch(
            "SELECT order_id FROM ledger GROUP BY order_id HAVING sum(amount_cents) < 0"
        )
    finally:
        await conn.close()
    assert doubled == [], doubled
    assert stray == [], stray
    assert over == [], over
