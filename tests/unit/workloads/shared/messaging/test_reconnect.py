"""Reaching Kafka at start-up: retried with capped back-off, one log line per attempt."""

from __future__ import annotations

import logging

import pytest
from aiokafka.errors import KafkaConnectionError

from workloads.shared.messaging.kafka import Backoff, connect


class _Flaky:
    """A client whose first `failures` starts find no broker."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts = 0

    async def start(self) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 1, 0)]")


def test_the_back_off_doubles_from_half_a_second_and_stops_growing_at_five() -> None:
    assert [Backoff().delay(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


async def test_connect_retries_until_the_broker_answers_logging_each_attempt(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, pauses = _Flaky(failures=6), []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    with caplog.at_level(logging.WARNING, logger="workloads.shared.messaging.kafka"):
        await connect(client, what="order producer", sleep=sleep)
    assert client.attempts == 7
    assert pauses == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 6
    assert warnings[0].startswith("order producer cannot reach Kafka (attempt 1)")


async def test_connect_does_not_swallow_a_programming_error() -> None:
    class Broken:
        async def start(self) -> None:
            raise AssertionError("Did you call `start` twice?")

    async def sleep(seconds: float) -> None:
        raise AssertionError("no retry expected")

    with pytest.raises(AssertionError, match="twice"):
        await connect(Broken(), what="consumer", sleep=sleep)
