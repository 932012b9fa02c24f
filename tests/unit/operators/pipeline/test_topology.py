"""The connection facts stay within the catalogue and agree with it."""

from __future__ import annotations

from operators.pipeline import topology
from workloads.catalogue import WORKLOADS


def test_every_named_workload_is_in_the_catalogue() -> None:
    catalogue = {w.name for w in WORKLOADS}
    for names in (
        topology.KAFKA_CONSUMERS,
        topology.KAFKA_CLIENTS,
        topology.REDIS_CLIENTS,
        topology.RUNNABLE,
        {topology.EDGE},
    ):
        assert names <= catalogue


def test_every_runnable_workload_uses_kafka_and_its_database() -> None:
    for name in topology.RUNNABLE:
        assert topology.components(name) == ("kafka", "postgres")
        assert topology.default_port(name) is not None


def test_only_the_gateway_calls_other_workloads() -> None:
    present = frozenset(topology.WORKLOAD_NAMES)
    assert topology.callees("gateway", present) == tuple(sorted(present - {"gateway"}))
    assert all(topology.callees(n, present) == () for n in present - {"gateway"})
    assert topology.callers("order", present) == ("gateway",)
    assert topology.callers("order", frozenset({"order"})) == ()
