"""Two consumers racing on the same duplicate: the inbox lets exactly one apply the effect."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka.structs import ConsumerRecord
from pydantic import SecretStr

from operators.local.stack import LocalStack
from tests.support.eventually import eventually
from workloads.contracts import events as ev
from workloads.shared.database import Connection, DatabaseSettings, create_pool, transaction
from workloads.shared.messaging.consumer import EventConsumer, Reads, Subscription
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.messaging.kafka import create_producer


async def test_two_consumers_racing_on_the_same_duplicate_apply_it_once(stack: LocalStack) -> None:
    # The notification database has the shared inbox table (its service migrated it).
    pool = await create_pool(DatabaseSettings(url=SecretStr(stack.postgres.dsn("notification"))))
    producer = create_producer(stack.kafka.client_settings())
    await producer.start()
    try:
        async with transaction(pool) as conn:
            await conn.execute("CREATE TABLE IF NOT EXISTS race_effects (event_id uuid, n int)")

        async def slow_effect(conn: Connection, envelope: Envelope) -> None:
            await conn.execute("INSERT INTO race_effects VALUES ($1, 1)", envelope.event_id)

            # Hold this transaction open until the other delivery is seen waiting on a lock we
            # hold (its inbox claim on our uncommitted row), so the two really overlap.
            # pg_locks is read live, not from the transaction's statistics snapshot.
            async def the_other_waits_on_us() -> None:
                waiting = await conn.fetchval(
                    "SELECT count(*) FROM pg_locks"
                    " WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
                )
                assert waiting, "the other delivery has not reached its inbox claim yet"

            await eventually(the_other_waits_on_us, within_s=5, every_s=0.02)

        reads = Reads("OrderCancelled", frozenset({1}), ev.OrderCancelled)
        group = f"race-{uuid.uuid4().hex[:8]}"
        consumers = [
            EventConsumer(group=group, subscriptions=[Subscription(reads, slow_effect)], pool=pool,
                          producer=producer, kafka=stack.kafka.client_settings())
            for _ in range(2)
        ]  # fmt: skip
        envelope = Envelope.wrap(
            ev.OrderCancelled(order_id="o", customer_id="c", reason="r"), correlation_id="race"
        )
        record = ConsumerRecord(
            topic="orders.failed", partition=0, offset=1, timestamp=0, timestamp_type=0,
            key=b"o", value=envelope.to_value(), checksum=None, serialized_key_size=1,
            serialized_value_size=1, headers=(),
        )  # fmt: skip
        outcomes = await asyncio.gather(*(c.handle(record) for c in consumers))
        assert sorted(outcomes) == ["applied", "duplicate"]
        effects = await pool.fetchval(
            "SELECT count(*) FROM race_effects WHERE event_id = $1", envelope.event_id
        )
        assert effects == 1
    finally:
        await producer.stop()
        await pool.close()
