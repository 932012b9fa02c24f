"""The Kafka topics a pipeline needs, with the durability its environment asks for: pure data.

The topic list is not written in the pipeline: it is what the pipeline's workloads read and
write (workloads/catalogue.py), each topic as declared once in workloads/contracts/topics.py,
and the dead-letter topic of every topic a consumer reads (where its poison records go). The
pipeline's `spec.kafka.topics` says how durable they are and how wide event topics start:

- `replicationFactor` and `minInsyncReplicas` apply to every topic (one broker locally: 1 and 1;
  MSK across three zones: 3 and 2);
- `partitions` is a floor for event topics: a declared width above it stays (partitions never
  shrink in Kafka), and dead-letter topics keep their one partition (a queue for humans).

The operator creates and reconciles exactly this list (operators/controller/topics.py, ADR 0038),
on the local broker and on MSK alike; a topic outside it is never touched.
"""

from __future__ import annotations

import dataclasses

from operators.pipeline.spec import OrderPipelineSpec, TopicDefaults
from workloads.catalogue import BY_NAME
from workloads.contracts.topics import DLQ_SUFFIX, TOPICS, TopicSpec, dlq_topic

_DECLARED: dict[str, TopicSpec] = {t.name: t for t in TOPICS}


class UndeclaredTopicError(ValueError):
    """A workload names a topic that workloads/contracts/topics.py does not declare."""


def topic_names(workloads: frozenset[str]) -> tuple[str, ...]:
    """Every topic the named workloads read or write, and the dead-letter topics of those read."""
    read: set[str] = set()
    written: set[str] = set()
    for name in workloads:
        record = BY_NAME.get(name)
        if record is not None:
            read.update(record.reads)
            written.update(record.writes)
    return tuple(sorted(read | written | {dlq_topic(t) for t in read}))


def sized(declared: TopicSpec, defaults: TopicDefaults) -> TopicSpec:
    """One declared topic with the environment's durability and partition floor."""
    partitions = declared.partitions
    if not declared.name.endswith(DLQ_SUFFIX):
        partitions = max(partitions, defaults.partitions)
    return dataclasses.replace(
        declared,
        partitions=partitions,
        replication_factor=defaults.replication_factor,
        min_insync_replicas=defaults.min_insync_replicas,
    )


def pipeline_topics(spec: OrderPipelineSpec) -> tuple[TopicSpec, ...]:
    """The topics `spec` needs, sized by its `kafka.topics`; empty without Kafka."""
    if spec.kafka is None:
        return ()
    names = topic_names(frozenset(spec.workloads))
    undeclared = [name for name in names if name not in _DECLARED]
    if undeclared:
        raise UndeclaredTopicError(
            f"topics {undeclared} are used in workloads/catalogue.py but not declared in "
            "workloads/contracts/topics.py: declare them there"
        )
    return tuple(sized(_DECLARED[name], spec.kafka.topics) for name in names)
