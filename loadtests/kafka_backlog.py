"""A Kafka backlog under a workload's name, for the node tests and the node benchmark.

`Backlog` owns one consumer group named `<workload>-backlog` on a topic of its own. The operator
counts every group named after a workload (`operators.controller.lag`), so committing that group
at the topic's end and then producing N messages is a lag of exactly N for the workload, and
committing at the new end drains it. No pod reads the topic, so the backlog is there exactly as
long as the caller says; the pods' own groups drain a burst faster than the operator's 10 s lag
timer samples them on this machine, which would make "a pod appears" a race. A Kafka error
raises (aiokafka's own exceptions).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError


@dataclass(frozen=True)
class Backlog:
    bootstrap_servers: str
    workload: str

    @property
    def topic(self) -> str:
        return f"node-test-{self.workload}-backlog"

    @property
    def group(self) -> str:
        return f"{self.workload}-backlog"

    async def make(self, messages: int) -> None:
        """Commit the group at the topic's end, then produce `messages` behind it."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(self.topic, 1, 1)])
        except TopicAlreadyExistsError:
            pass  # a previous run's; its old messages are behind the commit below
        finally:
            await admin.close()
        await self.drain()
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap_servers, acks="all")
        await producer.start()
        try:
            for n in range(messages):
                await producer.send(self.topic, f"backlog {n}".encode())
            await producer.flush()
        finally:
            await producer.stop()

    async def drain(self) -> None:
        """Commit the group at the topic's end: its lag is 0 from now on."""
        partition = TopicPartition(self.topic, 0)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.group,
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            consumer.assign([partition])
            end = (await consumer.end_offsets([partition]))[partition]
            await consumer.commit({partition: end})
        finally:
            await consumer.stop()
