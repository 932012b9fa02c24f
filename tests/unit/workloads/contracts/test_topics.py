from __future__ import annotations

import re

import pytest

from workloads.contracts.topics import DLQ_SUFFIX, TOPICS, TopicSpec, dlq_topic


def test_topic_names_are_unique_and_domain_dot_event() -> None:
    names = [t.name for t in TOPICS]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z]+\.[a-z_]+(\.dlq)?", n) for n in names), names


def test_topic_configs_are_what_kafka_expects() -> None:
    spec = TopicSpec("orders.created", partitions=6, key="order id", retention_ms=-1)
    assert spec.configs() == {
        "retention.ms": "-1",
        "cleanup.policy": "delete",
        "min.insync.replicas": "1",
    }


def test_a_min_isr_above_the_replication_factor_is_refused() -> None:
    with pytest.raises(ValueError, match=r"min ISR <= replication factor"):
        TopicSpec("orders.bad", partitions=3, key="k", replication_factor=2, min_insync_replicas=3)


@pytest.mark.parametrize(("partitions", "retention"), [(0, 1000), (3, 0), (3, -5)])
def test_invalid_topic_declarations_are_refused(partitions: int, retention: int) -> None:
    with pytest.raises(ValueError, match=r"topic orders\.bad"):
        TopicSpec("orders.bad", partitions=partitions, key="k", retention_ms=retention)


def test_every_topic_has_its_dead_letter_topic_named_by_dlq_topic() -> None:
    names = {t.name for t in TOPICS}
    originals = {n for n in names if not n.endswith(DLQ_SUFFIX)}
    assert {dlq_topic(n) for n in originals} == names - originals
