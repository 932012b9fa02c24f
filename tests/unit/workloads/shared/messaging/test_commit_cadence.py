"""Offsets are committed at most every COMMIT_EVERY_S under a steady flow, at once when a fetch
comes back empty, and when the consumer leaves — always only what was applied."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka import ConsumerRecord, TopicPartition

from workloads.contracts import events as ev
from workloads.shared.messaging.consumer import (
    COMMIT_EVERY_S,
    EventConsumer,
    Reads,
    Subscription,
)
from workloads.shared.messaging.kafka import KafkaSettings

TP = TopicPartition("orders.created", 0)
Batch = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]


def _record(offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=TP.topic, partition=0, offset=offset, timestamp=0, timestamp_type=0, key=b"k",
        value=b"{}", checksum=None, serialized_key_size=1, serialized_value_size=2, headers=[],
    )  # fmt: skip


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _Kafka:
    """Hands out scripted fetches, each taking `step_s` of the fake clock; then ends the loop."""

    def __init__(self, fetches: list[Batch], clock: _Clock, step_s: float) -> None:
        self.fetches, self.clock, self.step_s = fetches, clock, step_s
        self.commits: list[dict[TopicPartition, int]] = []
        self.fetched = 0
        self.fetched_at_commit: list[int] = []

    async def getmany(self, **_: Any) -> Batch:
        if not self.fetches:
            raise asyncio.CancelledError
        self.clock.now += self.step_s
        self.fetched += 1
        return self.fetches.pop(0)

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))
        self.fetched_at_commit.append(self.fetched)


def _consumer(monkeypatch: pytest.MonkeyPatch, clock: _Clock) -> EventConsumer:
    async def never(*_: object) -> None:
        raise AssertionError("records are not applied in these tests")

    consumer = EventConsumer(
        group="g",
        subscriptions=[Subscription(Reads("OrderCreated", frozenset({1}), ev.Payload), never)],
        pool=None,  # type: ignore[arg-type]
        producer=None,
        kafka=KafkaSettings(),
        clock=clock,
    )

    async def applied(_records: object) -> None:
        return None

    monkeypatch.setattr(consumer, "_handle_partition", applied)
    return consumer


async def _run(monkeypatch: pytest.MonkeyPatch, fetches: list[Batch], step_s: float) -> _Kafka:
    clock = _Clock()
    kafka = _Kafka(fetches, clock, step_s)
    with pytest.raises(asyncio.CancelledError):
        await _consumer(monkeypatch, clock)._consume(kafka)
    return kafka


async def test_a_steady_flow_commits_once_per_interval_not_once_per_fetch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    step = COMMIT_EVERY_S / 5  # five fetches with records per interval
    kafka = await _run(monkeypatch, [{TP: [_record(n)]} for n in range(20)], step)
    assert 3 <= len(kafka.commits) <= 5, kafka.commits  # 20 fetches, 4 intervals (+ the exit)
    assert [c[TP] for c in kafka.commits] == sorted(c[TP] for c in kafka.commits)
    assert kafka.commits[-1] == {TP: 20}  # everything applied is committed on the way out


async def test_an_empty_fetch_commits_what_was_applied_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fetches: list[Batch] = [{TP: [_record(0), _record(1)]}, {}, {}]
    kafka = await _run(monkeypatch, fetches, step_s=0.001)
    assert kafka.commits == [{TP: 2}]  # nothing new after it
    assert kafka.fetched_at_commit == [2]  # right after the first empty fetch, not on exit
