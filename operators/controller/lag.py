"""Kafka consumer-group lag of a workload, the input of lag-based autoscaling.

A workload's consumer groups are named after it (`inventory`, or `order-saga` and
`order-products` for the order service): every group whose id is the workload's name or starts
with `<name>-` counts. Lag is the sum over the group's committed partitions of (log end offset -
committed offset), read from the brokers as KEDA's Kafka scaler does, so it needs no metrics
pipeline. Partitions a group never committed are not counted: a brand-new group has no backlog
to work off yet. Group names are not scoped to a pipeline: one Kafka cluster serves one pipeline
(as each environment's stack provisions it). The connection options are the workloads' own
(`KafkaSettings.connection()`): plaintext locally, SASL/SCRAM over TLS with the credentials of
`spec.kafka.authSecretRef` on MSK (see kafka_connection).

`read_lags` reads several workloads in turn; a workload whose lag cannot be read (a Kafka or
network error, a timeout) is logged and left out, so the others still scale this round.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError


class LagSource(Protocol):
    async def lag(self, connection: Mapping[str, Any], workload: str) -> int: ...


def groups_of(workload: str, groups: Iterable[str]) -> list[str]:
    return sorted(g for g in groups if g == workload or g.startswith(f"{workload}-"))


class KafkaLag:
    """Reads committed and end offsets from the brokers; one short-lived connection per call."""

    def __init__(self, *, timeout_ms: int = 5000) -> None:
        self.timeout_ms = timeout_ms

    async def lag(self, connection: Mapping[str, Any], workload: str) -> int:
        admin = AIOKafkaAdminClient(**connection, request_timeout_ms=self.timeout_ms)
        try:
            await admin.start()
            listed = await admin.list_consumer_groups()
            committed: dict[TopicPartition, int] = {}
            readers: dict[TopicPartition, int] = {}
            for group in groups_of(workload, (entry[0] for entry in listed)):
                offsets = await admin.list_consumer_group_offsets(group)
                for partition, meta in offsets.items():
                    if meta.offset >= 0:
                        committed[partition] = committed.get(partition, 0) + meta.offset
                        readers[partition] = readers.get(partition, 0) + 1
        finally:
            await admin.close()
        if not committed:
            return 0
        consumer = AIOKafkaConsumer(
            **connection,
            enable_auto_commit=False,
            request_timeout_ms=self.timeout_ms,
        )
        try:
            await consumer.start()
            ends = await consumer.end_offsets(list(committed))
        finally:
            await consumer.stop()
        # A partition read by two groups of one workload counts its backlog once per group.
        return sum(max(ends[p] * readers[p] - committed[p], 0) for p in committed)


async def read_lags(
    source: LagSource,
    connection: Mapping[str, Any],
    workloads: Iterable[str],
    *,
    logger: logging.Logger | logging.LoggerAdapter[Any],
) -> dict[str, int]:
    """Lag per workload, in name order; unreadable ones are logged and left out."""
    lags: dict[str, int] = {}
    for name in sorted(workloads):
        try:
            lags[name] = await source.lag(connection, name)
        except (KafkaError, OSError, TimeoutError) as exc:
            logger.warning("lag of %s unreadable, not scaling it this time: %r", name, exc)
    return lags
