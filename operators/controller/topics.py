"""The pipeline's Kafka topics, created and reconciled by the operator (ADR 0038).

What: `operators.pipeline.topics.pipeline_topics` — the topics the pipeline's workloads read and
write, as workloads/contracts/topics.py declares them, with `spec.kafka.topics`' replication
factor, min ISR and partition floor. How: `ensure_topics`, the same call the local runner makes,
over the workloads' own connection (`kafka_connection`), so a local broker and MSK (SASL/SCRAM
over TLS, credentials from `spec.kafka.authSecretRef`) take one code path.

Guarantee: after a successful run every planned topic exists with at least its planned
partitions and exactly its planned configuration (retention, cleanup policy, min ISR). Nothing
is deleted, partitions never shrink, and a replication factor is set only at creation (changing
it needs a partition reassignment: a platform task, not a reconcile). Failure behaviour: a broker
that does not answer, or refuses, is a retryable kopf error (30 s) naming the brokers; the rest
of the reconcile (the Deployments) does not wait for it — the workloads retry Kafka themselves.
"""

from __future__ import annotations

import kopf
from aiokafka.errors import KafkaError

from operators.controller.children import Children
from operators.controller.kafka_connection import kafka_settings
from operators.pipeline.spec import OrderPipelineSpec
from operators.pipeline.topics import UndeclaredTopicError, pipeline_topics
from workloads.shared.messaging.kafka import TopicChanges, ensure_topics

RETRY_S = 30


async def reconcile_topics(
    spec: OrderPipelineSpec, namespace: str, *, children: Children
) -> TopicChanges | None:
    """Bring the brokers' topics up to the pipeline's plan; None when it names no Kafka."""
    if spec.kafka is None:
        return None
    try:
        plan = pipeline_topics(spec)
    except UndeclaredTopicError as exc:
        raise kopf.PermanentError(str(exc)) from exc
    settings = await kafka_settings(spec.kafka, namespace, children=children)
    try:
        return await ensure_topics(settings, plan)
    except (KafkaError, OSError, TimeoutError) as exc:
        raise kopf.TemporaryError(
            f"Kafka at {spec.kafka.bootstrap_servers} refused or did not answer the topic "
            f"reconcile: {exc!r}",
            delay=RETRY_S,
        ) from exc


def described(changes: TopicChanges) -> str:
    """The Event message for a reconcile that changed something; empty when nothing changed."""
    parts = [
        f"{verb} {', '.join(names)}"
        for verb, names in (
            ("created", changes.created),
            ("added partitions to", changes.repartitioned),
            ("reconfigured", changes.reconfigured),
        )
        if names
    ]
    return "; ".join(parts)
