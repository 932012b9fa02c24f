"""The catalogue's connection facts are true of the services; the operator's views follow them."""

from __future__ import annotations

import pytest

from operators.pipeline import topology
from workloads.catalog import consumers as catalog
from workloads.catalogue import BY_NAME, WORKLOADS, Workload
from workloads.contracts.registry import spec_of
from workloads.contracts.topics import DLQ_SUFFIX, TOPICS
from workloads.inventory import consumers as inventory
from workloads.notification import consumers as notification
from workloads.order import consumers as order
from workloads.payment import consumers as payment
from workloads.shared.messaging.consumer import Reads
from workloads.shipping import consumers as shipping

# What each built service subscribes to, by consumer group, as its code declares it.
SERVICE_READS: dict[str, dict[str, list[Reads]]] = {
    "order": order.READS,
    "inventory": inventory.READS,
    "payment": payment.READS,
    "notification": notification.READS,
    "catalog": catalog.READS,
    "shipping": shipping.READS,
}
DECLARED = {t.name for t in TOPICS}


def test_every_built_consumer_is_listed_with_what_it_reads() -> None:
    assert set(SERVICE_READS) == {w.name for w in WORKLOADS if w.runnable and w.consumes_kafka}


@pytest.mark.parametrize("name", sorted(SERVICE_READS))
def test_the_catalogue_names_the_groups_and_topics_the_service_consumes(name: str) -> None:
    record = BY_NAME[name]
    reads = SERVICE_READS[name]
    assert set(record.consumer_groups) == set(reads)
    topics = {spec_of(r.message_type).topic for group in reads.values() for r in group}
    assert set(record.reads) == topics


def test_every_topic_a_built_workload_names_is_declared() -> None:
    for workload in (w for w in WORKLOADS if w.runnable):
        assert set(workload.reads) | set(workload.writes) <= DECLARED, workload.name


def test_every_declared_event_topic_has_a_writer_and_every_read_topic_too() -> None:
    written = {topic for w in WORKLOADS for topic in w.writes}
    events = {name for name in DECLARED if not name.endswith(DLQ_SUFFIX)}
    assert events <= written
    assert {topic for w in WORKLOADS for topic in w.reads} <= written


def test_consumers_scale_on_lag_and_the_edge_is_no_kafka_client() -> None:
    consumers = {"order", "inventory", "payment", "shipping", "notification", "catalog"}
    assert consumers == topology.KAFKA_CONSUMERS
    assert "gateway" not in topology.KAFKA_CLIENTS
    assert topology.KAFKA_CONSUMERS <= topology.KAFKA_CLIENTS
    assert topology.components("gateway") == ("redis",)


def test_every_runnable_workload_uses_its_database_and_has_a_port() -> None:
    for name in topology.RUNNABLE - {"gateway"}:  # the edge keeps no state but Redis's
        assert "postgres" in topology.components(name)
        assert BY_NAME[name].http_port is not None
    assert BY_NAME["gateway"].http_port is not None
    assert topology.components("catalog") == ("kafka", "postgres", "redis")
    assert topology.components("identity") == ("postgres", "redis")  # no events in or out


def test_only_the_edge_calls_other_workloads() -> None:
    present = frozenset(topology.WORKLOAD_NAMES)
    assert topology.callees("gateway", present) == tuple(sorted(present - {"gateway"}))
    assert all(topology.callees(n, present) == () for n in present - {"gateway"})
    assert topology.callers("order", present) == ("gateway",)
    assert topology.callers("order", frozenset({"order"})) == ()


def test_a_consumer_group_without_the_topics_it_reads_is_refused() -> None:
    with pytest.raises(ValueError, match="go together"):
        Workload("x", owns_database=False, purpose="", consumer_groups=("x",))
