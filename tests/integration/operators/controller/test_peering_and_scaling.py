"""Two operator replicas do not fight; consumer workloads scale on real Kafka consumer lag."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from operators.local.kube.cluster import KubeCluster
from operators.local.kube.operator_process import OperatorProcess, running_operator
from operators.local.stack import LocalStack
from tests.integration.operators.controller.cluster_tools import Kubectl, handled, pipeline
from tests.integration.operators.controller.test_reconcile import (
    children,
    create,
    expected,
    wait_for_children,
)
from tests.support.eventually import eventually_sync


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

        def paused() -> None:
            assert operator.logged("Pausing operations in favour of"), "the first did not pause"

        eventually_sync(paused, within_s=20)
        create(kubectl, "local", namespace)
        settled = versions(kubectl, namespace)
        # A fight is each replica re-applying what the other wrote. The active replica repairs
        # a ConfigMap on every modification; touching one (a label neither replica owns) and
        # waiting until the active replica has handled that event means it has also handled
        # every earlier ConfigMap event of its watch (a stream delivers in order), including
        # any a second writer caused. The standby, paused by kopf, receives no events at all, so
        # it gives no signal of its own; its log and its probe show it stood by.
        before = handled(rival, "repair-configmaps", "ConfigMap", "conveyor-order", namespace)
        kubectl.run("label", "configmap", "conveyor-order", "-n", namespace, "test/barrier=1")

        def barrier_handled() -> None:
            seen = handled(rival, "repair-configmaps", "ConfigMap", "conveyor-order", namespace)
            assert seen > before, "the active replica has not handled the barrier yet"

        eventually_sync(barrier_handled, within_s=10)
        now = versions(kubectl, namespace)
        del now["ConfigMap/conveyor-order"], settled["ConfigMap/conveyor-order"]  # the barrier
        assert now == settled, "children keep changing: a fight"
        assert rival.logged(namespace), "the active replica did not handle the pipeline"
        assert not operator.logged(namespace), "the standby replica handled the pipeline too"

        def standing_by() -> None:
            probe = operator.health()  # kopf caches probe results for 10 s
            assert probe is not None
            assert probe.json() == {"watch": "standby"}

        eventually_sync(standing_by, within_s=15)

    def resumed() -> None:
        assert operator.logged("Resuming operations after the pause"), "the first did not resume"

    eventually_sync(resumed, within_s=20)


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
    wait_for_children(kubectl, namespace, expected("local"))

    def at(replicas: int) -> None:
        assert _deployment_replicas(kubectl, namespace) == replicas, f"not at {replicas} yet"

    # a backlog of 25 with a threshold of 10: up to the maximum
    await asyncio.to_thread(eventually_sync, lambda: at(3), within_s=40)
    events = json.loads(kubectl.run("get", "events", "-n", namespace, "-o", "json"))["items"]
    assert any(e["reason"] == "Scaled" for e in events)

    await _commit(kafka, group, partition, 25)
    # the backlog is gone: back down to the minimum
    await asyncio.to_thread(eventually_sync, lambda: at(1), within_s=60)
