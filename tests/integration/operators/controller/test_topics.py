"""The operator creates and reconciles a pipeline's Kafka topics on a real broker (ADR 0038).

A pipeline is applied on the real API server with `spec.kafka.bootstrapServers` naming this
checkout's broker. Before it, one planned topic is deleted and another's retention is changed by
hand; the operator must bring both back to the declaration (workloads/contracts/topics.py, sized
by `spec.kafka.topics`) and say so in an Event, while leaving a topic outside its plan alone.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from rich.console import Console

from operators.local.servers.kafka import Kafka
from operators.local.settings import LocalStackSettings
from operators.pipeline.spec import OrderPipelineSpec
from operators.pipeline.topics import pipeline_topics
from tests.integration.operators.controller.cluster_tools import Kubectl, pipeline
from tests.support.eventually import eventually, eventually_sync

DELETED = "payments.refunded.dlq"  # read by order, so its dead-letter topic is planned
DRIFTED = "orders.created"


@pytest.fixture(scope="module")
def kafka() -> Kafka:
    server = Kafka(LocalStackSettings())
    server.start(Console(file=io.StringIO(), width=120))
    return server


@pytest.fixture
async def admin(kafka: Kafka) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    await client.start()
    yield client
    await client.close()


async def _configs(admin: AIOKafkaAdminClient, topic: str) -> dict[str, str]:
    described = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    return {e[0]: e[1] for r in described for *_, entries in r.resources for e in entries}


@pytest.mark.usefixtures("operator")
async def test_the_operator_creates_missing_topics_and_restores_drifted_ones(
    kubectl: Kubectl, namespace: str, kafka: Kafka, admin: AIOKafkaAdminClient
) -> None:
    body = pipeline("local", namespace)
    body["spec"]["kafka"]["bootstrapServers"] = kafka.bootstrap_servers
    plan = {t.name: t for t in pipeline_topics(OrderPipelineSpec.model_validate(body["spec"]))}
    if DELETED in await admin.list_topics():
        await admin.delete_topics([DELETED])
    drifted = ConfigResource(ConfigResourceType.TOPIC, DRIFTED, {"retention.ms": "60000"})
    await admin.alter_configs([drifted])

    kubectl.apply(body)

    async def reconciled() -> None:
        topics = set(await admin.list_topics())
        assert DELETED in topics, f"{DELETED} not created yet"
        described = await admin.describe_topics([DELETED])
        assert len(described[0]["partitions"]) == plan[DELETED].partitions
        for name in (DELETED, DRIFTED):
            configs = await _configs(admin, name)
            wanted = plan[name].configs()
            assert {k: configs.get(k) for k in wanted} == wanted, name

    await eventually(reconciled, within_s=60, every_s=1)

    def said_so() -> None:
        events = json.loads(kubectl.run("get", "events", "-n", namespace, "-o", "json"))["items"]
        messages = [e["message"] for e in events if e["reason"] == "Topics"]
        assert any(DELETED in m and DRIFTED in m for m in messages), messages

    await asyncio.to_thread(eventually_sync, said_so, within_s=30, every_s=1)
