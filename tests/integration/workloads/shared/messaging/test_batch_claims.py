"""A partition's batch applied together: one inbox claim statement, each event's effect once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import TypeAlias

import pytest
from aiokafka.structs import ConsumerRecord
from pydantic import SecretStr

from operators.local.stack import LocalStack
from workloads.contracts import events as ev
from workloads.shared.database import Connection, DatabaseSettings, Pool, create_pool, transaction
from workloads.shared.messaging import inbox
from workloads.shared.messaging.consumer import EventConsumer, Reads, Subscription
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.messaging.kafka import create_producer


@pytest.fixture
async def pool(stack: LocalStack) -> AsyncIterator[Pool]:
    # The notification database has the shared inbox table (its service migrated it).
    pool = await create_pool(DatabaseSettings(url=SecretStr(stack.postgres.dsn("notification"))))
    async with transaction(pool) as conn:
        await conn.execute("CREATE TABLE IF NOT EXISTS batch_effects (event_id uuid, group_ text)")
    try:
        yield pool
    finally:
        await pool.close()


Record: TypeAlias = ConsumerRecord[bytes, bytes]


def _record(envelope: Envelope, offset: int, topic: str = "orders.failed") -> Record:
    return ConsumerRecord(
        topic=topic, partition=0, offset=offset, timestamp=0, timestamp_type=0, key=b"o",
        value=envelope.to_value(), checksum=None, serialized_key_size=1,
        serialized_value_size=1, headers=(),
    )  # fmt: skip


def _cancelled() -> Envelope:
    return Envelope.wrap(
        ev.OrderCancelled(order_id="o", customer_id="c", reason="r"), correlation_id="batch"
    )


async def test_a_batch_applies_each_new_event_once_and_skips_duplicates_and_strangers(
    stack: LocalStack, pool: Pool
) -> None:
    group = f"batch-{uuid.uuid4().hex[:8]}"

    async def effect(conn: Connection, envelope: Envelope) -> None:
        await conn.execute("INSERT INTO batch_effects VALUES ($1, $2)", envelope.event_id, group)

    reads = Reads("OrderCancelled", frozenset({1}), ev.OrderCancelled)
    a, b, seen = _cancelled(), _cancelled(), _cancelled()
    async with transaction(pool) as conn:  # applied in an earlier batch
        assert await inbox.claim_many(conn, group, [seen]) == {str(seen.event_id)}
    stranger = _record(_cancelled(), 5, topic="orders.confirmed")  # no handler for its topic
    batch = [_record(a, 1), _record(b, 2), _record(a, 3), _record(seen, 4), stranger]
    producer = create_producer(stack.kafka.client_settings())  # for dead letters; none here
    await producer.start()
    try:
        consumer = EventConsumer(
            group=group, subscriptions=[Subscription(reads, effect)], pool=pool,
            producer=producer, kafka=stack.kafka.client_settings(),
        )  # fmt: skip
        assert await consumer._apply_together(batch)  # the batch path itself
    finally:
        await producer.stop()

    rows = await pool.fetch("SELECT event_id FROM batch_effects WHERE group_ = $1", group)
    assert sorted(str(r["event_id"]) for r in rows) == sorted([str(a.event_id), str(b.event_id)])
    claims = await pool.fetchval("SELECT count(*) FROM inbox WHERE consumer_group = $1", group)
    assert claims == 3  # a, b and the one applied before; not the stranger


async def test_claim_many_claims_an_event_twice_in_one_statement_once(pool: Pool) -> None:
    group, twice = f"batch-{uuid.uuid4().hex[:8]}", _cancelled()
    async with transaction(pool) as conn:
        assert await inbox.claim_many(conn, group, [twice, twice]) == {str(twice.event_id)}
        assert await inbox.claim_many(conn, group, [twice]) == set()
        assert await inbox.claim_many(conn, group, []) == set()
