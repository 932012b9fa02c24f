"""The outbox relay against the real broker and database: bad rows parked, outages outlived.

Each test relays a scratch database of its own (the shared messaging migrations applied), so the
services' relays never see its rows and the advisory lock is its alone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from functools import partial

import asyncpg
import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from prometheus_client import REGISTRY
from rich.console import Console

from operators.local.stack import LocalStack
from tests.support.eventually import eventually
from workloads.shared.messaging.kafka import KafkaSettings, create_consumer, create_producer
from workloads.shared.messaging.outbox import OutboxRelay

MAX_MESSAGE_BYTES = 8192  # the test topic's limit: a 20 kB record is refused by the broker


def _relay(stack: LocalStack, dsn: str) -> OutboxRelay:
    settings = stack.kafka.client_settings()  # 5 s metadata wait for an unknown topic
    return OutboxRelay(
        dsn=dsn, producer=partial(create_producer, settings), poll_s=0.2, ack_wait_log_s=1
    )


async def _topic(settings: KafkaSettings, **configs: str) -> str:
    name = f"test.relay.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(**settings.connection())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 1, 1, topic_configs=configs)])
    finally:
        await admin.close()
    return name


async def _insert(dsn: str, rows: list[tuple[str, str, bytes]]) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.executemany(
            "INSERT INTO outbox (topic, key, value, headers) VALUES ($1, $2, $3, $4)",
            [(topic, key, value, json.dumps({"test": "relay"})) for topic, key, value in rows],
        )
    finally:
        await conn.close()


async def _read(settings: KafkaSettings, topic: str, count: int) -> list[bytes]:
    consumer = create_consumer(settings, group_id=f"relay-{uuid.uuid4().hex[:8]}")
    await consumer.start()
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    await consumer.seek_to_beginning(tp)
    seen: list[bytes] = []

    async def all_arrived() -> list[bytes]:
        batch = await consumer.getmany(tp, timeout_ms=500)
        seen.extend(record.value for record in batch.get(tp, []) if record.value is not None)
        assert len(seen) >= count, f"{len(seen)} of {count} records arrived: {seen}"
        return seen

    try:
        return await eventually(all_arrived, within_s=30, every_s=0)
    finally:
        await consumer.stop()


def _alive(task: asyncio.Task[None]) -> None:
    if task.done():
        error = None if task.cancelled() else task.exception()
        raise pytest.fail.Exception(f"the relay task ended: {error!r}")


async def test_rows_kafka_can_never_accept_are_parked_and_the_rest_arrive_in_order(
    stack: LocalStack, outbox_dsn: str
) -> None:
    settings = stack.kafka.client_settings()
    topic = await _topic(settings, **{"max.message.bytes": str(MAX_MESSAGE_BYTES)})
    missing = f"test.missing.{uuid.uuid4().hex[:8]}"
    await _insert(
        outbox_dsn,
        [
            (topic, "k", b"good-1"),
            (topic, "k", b"x" * (2 * 1024 * 1024)),  # above the producer's max request size
            (topic, "k", b"good-2"),
            (missing, "k", b"to nowhere"),
            (topic, "k", b"good-3"),
            (topic, "k", b"y" * (20 * 1024)),  # above the topic's max.message.bytes
            (topic, "k", b"good-4"),
        ],
    )
    relay = _relay(stack, outbox_dsn)
    task = asyncio.create_task(relay.run())
    conn = await asyncpg.connect(outbox_dsn)
    try:

        async def drained() -> None:
            _alive(task)
            left = await conn.fetchval("SELECT count(*) FROM outbox")
            assert left == 0, f"{left} rows are still in the outbox"

        await eventually(drained, within_s=60, every_s=0.2)
        parked = await conn.fetch(
            "SELECT topic, length(value) AS size, error FROM outbox_dead_letters ORDER BY id"
        )
        assert [(r["topic"], r["size"]) for r in parked] == [
            (topic, 2 * 1024 * 1024),
            (missing, len(b"to nowhere")),
            (topic, 20 * 1024),
        ]
        assert "MessageSizeTooLargeError" in parked[0]["error"]
        assert f"no topic '{missing}'" in parked[1]["error"]
        assert "MessageSizeTooLargeError" in parked[2]["error"]
        arrived = list(dict.fromkeys(await _read(settings, topic, 4)))  # first arrivals
        assert arrived == [b"good-1", b"good-2", b"good-3", b"good-4"]
        assert REGISTRY.get_sample_value("conveyor_outbox_dead_letter_rows") == len(parked)
        _alive(task)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await conn.close()


async def test_the_relay_outlives_a_broker_outage_and_publishes_once_it_is_back(
    stack: LocalStack, outbox_dsn: str, quiet: Console, caplog: pytest.LogCaptureFixture
) -> None:
    settings = stack.kafka.client_settings()
    warm_up, topic = await _topic(settings), await _topic(settings)
    relay = _relay(stack, outbox_dsn)
    task = asyncio.create_task(relay.run())
    caplog.set_level(logging.WARNING, logger="workloads.shared.messaging.outbox")
    try:
        # The relay's producer is connected before the outage; during it, a send either waits
        # for the topic's metadata and fails (the relay used to end there) or waits for its
        # acknowledgement: the relay logs either.
        await _insert(outbox_dsn, [(warm_up, "w", b"warm")])
        assert await _read(settings, warm_up, 1) == [b"warm"]
        await asyncio.to_thread(stack.kafka.stop)
        try:
            await _insert(
                outbox_dsn, [(topic, f"k{i % 2}", f"during-{i}".encode()) for i in range(4)]
            )

            async def met_the_outage() -> None:
                _alive(task)
                noticed = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
                assert noticed, "the relay has not met the outage yet"

            await eventually(met_the_outage, within_s=60, every_s=0.2)
            caplog.clear()
            await eventually(met_the_outage, within_s=30, every_s=0.2)  # still there, waiting
        finally:
            await asyncio.to_thread(stack.kafka.start, quiet)
        await _insert(outbox_dsn, [(topic, "k0", b"after")])
        # At least once: a row re-sent after the outage may arrive twice; first arrivals count.
        values = list(dict.fromkeys(await _read(settings, topic, 5)))
        assert sorted(values) == sorted([b"after", *(f"during-{i}".encode() for i in range(4))])
        assert [v for v in values if v in {b"during-0", b"during-2", b"after"}] == [
            b"during-0",
            b"during-2",
            b"after",
        ], "key k0 was published out of order"
        _alive(task)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
