"""Two operator replicas do not fight; consumer workloads scale on real Kafka consumer lag."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from operators.local.kube.cluster import KubeCluster
from operators.local.kube.operator_process import OperatorProcess, running_operator
from operators.local.stack import LocalStack
from tests.integration.operators.controller.cluster_tools import (
    Kubectl,
    pipeline,
    wait_for,
)
from tests.integration.operators.controller.test_reconcile import children, create, expected, names


def versions(kubectl: Kubectl, namespace: str) -> dict[str, str]:
    """What the operator writes: each child's spec generation (Deployments) or data version.

    Controllers keep writing Deployment status for a while after creation, which moves the
    resourceVersion without any operator fighting; the generation moves only with the spec.
    """
    return {
        f"{c['kind']}/{c['metadata']['name']}": str(
            c["metadata"].get("generation", c["metadata"]["resourceVersion"])
        )
        for c in children(kubectl, namespace)
        if c["kind"] not in {"HorizontalPodAutoscaler", "PodDisruptionBudget"}
    }


def test_a_second_replica_with_higher_priority_takes_over_and_the_first_stands_by(
    kube: KubeCluster, kubectl: Kubectl, operator: OperatorProcess, namespace: str
) -> None:
    with running_operator(kube, priority=200, port=18081, name="rival") as rival:
        wait_for(
            "the first replica to pause in favour of the second",
            lambda: operator.logged("Pausing operations in favour of"),
        )
        create(kubectl, "local", namespace)
        settled = versions(kubectl, namespace)
        time.sleep(4)
        assert versions(kubectl, namespace) == settled, "children keep changing: a fight"
        assert rival.logged(namespace), "the active replica did not handle the pipeline"
        assert not operator.logged(namespace), "the standby replica handled the pipeline too"

        def standing_by() -> bool:
            probe = operator.health()  # kopf caches probe results for 10 s
            return probe is not None and probe.json() == {"watch": "standby"}

        wait_for("the standby replica's probe to say so", standing_by, timeout_s=15)
    wait_for(
        "the first replica to resume when the second leaves",
        lambda: operator.logged("Resuming operations after the pause"),
    )


@pytest.fixture
def kafka(stack: LocalStack) -> str:
    return stack.kafka.bootstrap_servers


async def _backlog(bootstrap: str, topic: str, group: str, messages: int) -> TopicPartition:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for n in range(messages):
            await producer.send_and_wait(topic, f"m{n}".encode())
    finally:
        await producer.stop()
    partition = TopicPartition(topic, 0)
    await _commit(bootstrap, group, partition, 0)
    return partition


async def _commit(bootstrap: str, group: str, partition: TopicPartition, offset: int) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([partition])
        await consumer.commit({partition: offset})
    finally:
        await consumer.stop()


def _deployment_replicas(kubectl: Kubectl, namespace: str) -> int:
    found = kubectl.get("deployment", "conveyor-notification", namespace)
    return int((found or {}).get("spec", {}).get("replicas", -1))


@pytest.mark.usefixtures("operator")
async def test_a_consumer_workload_scales_with_its_lag_within_bounds(
    kubectl: Kubectl, namespace: str, kafka: str
) -> None:
    body: dict[str, Any] = pipeline("local", namespace)
    body["spec"]["kafka"]["bootstrapServers"] = kafka
    notification = body["spec"]["workloads"]["notification"]
    notification.pop("replicas", None)
    notification["autoscaling"] = {
        "minReplicas": 1,
        "maxReplicas": 3,
        "metric": "kafkaLag",
        "lagThreshold": 10,
        "cooldownSeconds": 0,
    }
    group, topic = f"notification-{namespace}", f"lagtest.{namespace}"
    partition = await _backlog(kafka, topic, group, messages=25)
    try:
        await _scale_up_and_down(
            kubectl, namespace, body=body, kafka=kafka, group=group, partition=partition
        )
    finally:  # a left-over backlog would count as notification's lag in every later run
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
        await admin.start()
        try:  # the broker drops a deleted topic's committed offsets with it
            await admin.delete_topics([topic])
        finally:
            await admin.close()


async def _scale_up_and_down(
    kubectl: Kubectl,
    namespace: str,
    *,
    body: dict[str, Any],
    kafka: str,
    group: str,
    partition: TopicPartition,
) -> None:
    kubectl.apply(body)
    want = expected("local")
    wait_for("the children", lambda: names(children(kubectl, namespace)) >= want or None)

    wait_for(
        "notification to scale up to its maximum on a backlog of 25 (threshold 10)",
        lambda: _deployment_replicas(kubectl, namespace) == 3,
        timeout_s=40,
    )
    events = json.loads(kubectl.run("get", "events", "-n", namespace, "-o", "json"))["items"]
    assert any(e["reason"] == "Scaled" for e in events)

    await _commit(kafka, group, partition, 25)
    wait_for(
        "notification to scale back down to its minimum once the backlog is gone",
        lambda: _deployment_replicas(kubectl, namespace) == 1,
        timeout_s=60,
    )
