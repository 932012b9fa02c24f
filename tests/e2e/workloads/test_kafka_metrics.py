"""The running services export consumer lag for their partitions and the depth of their DLQs.

Every service with consumers exports `conveyor_kafka_consumer_lag_messages` for each partition
assigned to it (one replica each here: every partition of every topic it reads), and
`conveyor_dlq_depth_messages` for the dead-letter topic of each of those topics. A poison record
raises the depth of its DLQ to what `conveyor dlq list` counts as pending.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from functools import partial

from prometheus_client.parser import text_string_to_metric_families

from operators.local.stack import LocalStack
from tests.e2e.workloads.kafka_tools import partitions, publish_raw, wait_dead_letter
from tests.e2e.workloads.saga_client import SagaClient
from tests.support.eventually import eventually
from workloads.contracts.topics import DLQ_SUFFIX
from workloads.shared.messaging import dlq

READS = {  # a topic each service is known to consume
    "order": "inventory.reserved",
    "inventory": "inventory.commands",
    "payment": "payments.commands",
    "notification": "orders.confirmed",
}


async def _samples(client: SagaClient, service: str, name: str) -> list[dict[str, str]]:
    """The label sets and values (under "value") of `name` on `service`'s /metrics."""
    response = await client.http.get(client.url(service, "/metrics"))
    response.raise_for_status()
    return [
        {**sample.labels, "value": str(sample.value)}
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == name
    ]


async def test_every_consumer_exports_lag_for_each_partition_and_depth_for_each_dlq(
    client: SagaClient,
) -> None:
    async def exported(service: str) -> None:
        lag = await _samples(client, service, "conveyor_kafka_consumer_lag_messages")
        depth = await _samples(client, service, "conveyor_dlq_depth_messages")
        by_topic: dict[str, set[int]] = defaultdict(set)
        for sample in lag:
            by_topic[sample["topic"]].add(int(sample["partition"]))
        read = {s["topic"].removesuffix(DLQ_SUFFIX) for s in depth}
        assert READS[service] in read, f"{service}: no DLQ depth for {READS[service]}: {read}"
        assert set(by_topic) == read, f"{service}: lag for {set(by_topic)}, reads {read}"
        for topic in read:
            expected = {tp.partition for tp in await partitions(client.stack, topic)}
            assert by_topic[topic] == expected, f"{service}: lag of {topic} for {by_topic[topic]}"

    for service in READS:
        await eventually(partial(exported, service), within_s=60, every_s=1)


async def test_a_poison_record_raises_its_dlq_depth_to_the_pending_count(
    client: SagaClient, stack: LocalStack
) -> None:
    topic = "payments.commands" + DLQ_SUFFIX
    key = f"poison-{uuid.uuid4()}"
    await publish_raw(stack, "payments.commands", b"\x00 not an envelope", key=key)
    await wait_dead_letter(stack, topic, key=key)

    async def depth_is_pending() -> None:
        rows = await dlq.summary(stack.kafka.client_settings())
        pending = next(row.pending for row in rows if row.topic == topic)
        samples = await _samples(client, "payment", "conveyor_dlq_depth_messages")
        depth = [float(s["value"]) for s in samples if s["topic"] == topic]
        assert pending >= 1
        assert depth == [pending], f"depth {depth}, pending {pending}"

    await eventually(depth_is_pending, within_s=60, every_s=1)
