"""The broker's reachability as the sweeper reads it, with a fake clock and fake probes."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaConnectionError

from workloads.order.adapters.broker import (
    BrokerNotReadyError,
    Reachability,
    leaders_known,
    probe_once,
    watch,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _answers() -> None:
    return None


async def _refuses() -> None:
    raise KafkaConnectionError("connection refused")


async def _hangs() -> None:
    await asyncio.Event().wait()


def test_it_is_steady_only_after_answering_for_the_whole_period() -> None:
    clock = Clock()
    reachable = Reachability(clock=clock)
    assert not reachable.steady_for(0), "a process that has not probed yet knows nothing"
    reachable.succeeded()
    clock.now += 5
    reachable.succeeded()  # a later success does not restart the period
    assert not reachable.steady_for(10)
    clock.now += 5
    assert reachable.steady_for(10)


def test_a_failure_restarts_the_period() -> None:
    clock = Clock()
    reachable = Reachability(clock=clock)
    reachable.succeeded()
    clock.now += 60
    reachable.failed()
    assert not reachable.steady_for(0)
    reachable.succeeded()
    clock.now += 9
    assert not reachable.steady_for(10)


async def test_a_refused_or_hanging_probe_counts_as_unreachable() -> None:
    reachable = Reachability(clock=Clock())
    assert await probe_once(reachable, _answers, timeout_s=1)
    assert reachable.steady_for(0)
    assert not await probe_once(reachable, _refuses, timeout_s=1)
    assert not reachable.steady_for(0)
    reachable.succeeded()
    assert not await probe_once(reachable, _hangs, timeout_s=0.01)
    assert not reachable.steady_for(0)


async def test_the_watch_probes_every_interval_and_never_stops_on_a_failure() -> None:
    reachable = Reachability(clock=Clock())
    outcomes = iter([_refuses, _answers, _refuses, _answers])
    slept: list[float] = []

    async def probe() -> None:
        await next(outcomes)()

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 4:
            raise asyncio.CancelledError  # how the service stops it

    with pytest.raises(asyncio.CancelledError):
        await watch(reachable, probe, interval_s=1.5, timeout_s=1, sleep=sleep)
    assert slept == [1.5] * 4
    assert reachable.steady_for(0), "the last probe answered"


class Cluster:
    """What aiokafka's ClusterMetadata answers, for two topics of three partitions."""

    def __init__(self, leaderless: set[int]) -> None:
        self.leaderless = leaderless

    def topics(self) -> set[str]:
        return {"inventory.commands", "payments.commands"}

    def partitions_for_topic(self, _topic: str) -> set[int]:
        return {0, 1, 2}

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return {0, 1, 2} - (self.leaderless if topic == "payments.commands" else set())


class Client:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    async def fetch_all_metadata(self) -> Cluster:
        return self.cluster


async def test_a_broker_that_answers_without_leaders_is_not_yet_reachable() -> None:
    reachable = Reachability(clock=Clock())
    electing = Client(Cluster(leaderless={1}))
    assert not await probe_once(reachable, lambda: leaders_known(electing), timeout_s=1)
    with pytest.raises(BrokerNotReadyError, match=r"payments\.commands"):
        await leaders_known(electing)
    ready = Client(Cluster(leaderless=set()))
    assert await probe_once(reachable, lambda: leaders_known(ready), timeout_s=1)
