"""A pipeline's topics: what its workloads read and write, sized by `spec.kafka.topics`."""

from __future__ import annotations

import pytest

from operators.pipeline.spec import OrderPipelineSpec, load
from operators.pipeline.topics import UndeclaredTopicError, pipeline_topics, topic_names
from tests.unit.operators.pipeline.crd_schema import EXAMPLES
from workloads import catalogue
from workloads.catalogue import BY_NAME, Workload
from workloads.contracts.topics import DLQ_SUFFIX, TOPICS, dlq_topic

DECLARED = {t.name: t for t in TOPICS}


def _spec(name: str) -> OrderPipelineSpec:
    return load(EXAMPLES / f"{name}.yaml").spec


def test_every_topic_a_present_workload_reads_or_writes_is_planned_with_its_dead_letters() -> None:
    spec = _spec("local")
    planned = {t.name for t in pipeline_topics(spec)}
    for name in spec.workloads:
        record = BY_NAME[name]
        assert set(record.reads) | set(record.writes) <= planned, name
        assert {dlq_topic(t) for t in record.reads} <= planned, name


def test_a_topic_no_present_workload_uses_is_not_planned() -> None:
    only_payment = topic_names(frozenset({"payment"}))
    assert only_payment == tuple(
        sorted(
            {"payments.commands", "payments.commands.dlq"}
            | {"payments.completed", "payments.failed", "payments.refunded"}
        )
    )


def test_durability_comes_from_the_spec_and_partitions_only_grow() -> None:
    spec = _spec("prod")
    assert spec.kafka is not None
    wanted = spec.kafka.topics
    for topic in pipeline_topics(spec):
        assert topic.replication_factor == wanted.replication_factor, topic.name
        assert topic.min_insync_replicas == wanted.min_insync_replicas, topic.name
        assert topic.configs()["min.insync.replicas"] == str(wanted.min_insync_replicas)
        declared = DECLARED[topic.name]
        if topic.name.endswith(DLQ_SUFFIX):
            assert topic.partitions == declared.partitions == 1, topic.name
        else:
            assert topic.partitions == max(declared.partitions, wanted.partitions), topic.name
        assert (topic.retention_ms, topic.cleanup_policy) == (
            declared.retention_ms,
            declared.cleanup_policy,
        )


def test_a_wider_floor_widens_every_event_topic() -> None:
    spec = _spec("local")
    assert spec.kafka is not None
    wider = spec.model_copy(
        update={
            "kafka": spec.kafka.model_copy(
                update={"topics": spec.kafka.topics.model_copy(update={"partitions": 12})}
            )
        }
    )
    widths = {t.name: t.partitions for t in pipeline_topics(wider)}
    assert {w for n, w in widths.items() if not n.endswith(DLQ_SUFFIX)} == {12}


def test_a_pipeline_without_kafka_plans_no_topics() -> None:
    spec = _spec("local").model_copy(update={"kafka": None})
    assert pipeline_topics(spec) == ()


def test_a_topic_the_catalogue_names_but_nobody_declares_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rogue = Workload("order", owns_database=True, purpose="x", writes=("orders.nowhere",))
    monkeypatch.setitem(catalogue.BY_NAME, "order", rogue)
    with pytest.raises(UndeclaredTopicError, match=r"orders\.nowhere"):
        pipeline_topics(_spec("local"))
