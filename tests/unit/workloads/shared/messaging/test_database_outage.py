"""A database that does not answer makes the consumer wait, never dead-letter the record."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiokafka import ConsumerRecord

from workloads.contracts import events as ev
from workloads.shared.messaging.consumer import EventConsumer, Reads, RetryPolicy, Subscription
from workloads.shared.messaging.kafka import KafkaSettings


class _Delivered:
    def __await__(self) -> Any:
        return iter(())


class _Producer:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, topic: str, **_record: Any) -> _Delivered:
        self.sent.append(topic)
        return _Delivered()


def _consumer(producer: _Producer, slept: list[float]) -> EventConsumer:
    async def never(*_: object) -> None:
        raise AssertionError("the handler is replaced in these tests")

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    return EventConsumer(
        group="g",
        subscriptions=[Subscription(Reads("ProcessPayment", frozenset({1}), ev.Payload), never)],
        pool=None,  # type: ignore[arg-type]
        producer=producer,
        kafka=KafkaSettings(),
        retry=RetryPolicy(max_attempts=3),
        sleep=fake_sleep,
    )


RECORD: ConsumerRecord[bytes, bytes] = ConsumerRecord(
    topic="payments.commands", partition=0, offset=7, timestamp=0, timestamp_type=0, key=b"k",
    value=b"{}", checksum=None, serialized_key_size=1, serialized_value_size=2, headers=[],
)  # fmt: skip


async def test_ten_failed_tries_against_a_restarting_database_end_applied_not_dead_lettered(
    monkeypatch: Any,
) -> None:
    producer, slept = _Producer(), list[float]()
    consumer = _consumer(producer, slept)
    errors = [asyncpg.CannotConnectNowError("the database system is starting up")] * 5 + [
        ConnectionRefusedError("connection refused")
    ] * 5

    async def apply(_record: object) -> str:
        if errors:
            raise errors.pop()
        return "applied"

    monkeypatch.setattr(consumer, "_apply", apply)
    assert await consumer.handle(RECORD) == "applied"
    assert producer.sent == [], "a record was dead-lettered for the database's outage"
    assert len(slept) == 10


async def test_an_error_of_the_record_itself_is_still_dead_lettered_after_its_attempts(
    monkeypatch: Any,
) -> None:
    producer, slept = _Producer(), list[float]()
    consumer = _consumer(producer, slept)

    async def apply(_record: object) -> str:
        raise ValueError("a payload the handler cannot use")

    monkeypatch.setattr(consumer, "_apply", apply)
    assert await consumer.handle(RECORD) == "dead_lettered"
    assert producer.sent == ["payments.commands.dlq"]
