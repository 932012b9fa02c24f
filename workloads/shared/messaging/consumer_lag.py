"""Consumer lag per group and partition, exported by the member that owns the partition.

`conveyor_kafka_consumer_lag_messages{group, topic, partition}` is the partition's end offset
(its last stable offset: consumers read committed records only) minus the group's committed
offset: the records the group has not yet made durable. It counts from the commit, not from the
consumer's fetch position, so records fetched but still being handled (a stuck handler, a
database outage) are still lag. Each replica exports only the partitions assigned to it, so the
series of a group across replicas add up to each topic once; a partition revoked by a rebalance,
or a session that ended, loses its series here and gains one on its new owner.

`watch` refreshes every `every_s` beside the consuming loop, never inside it, so a batch that
does not end does not freeze the gauge. The end offsets come from one `ListOffsets` request per
round on the group consumer itself; the committed offsets are the ones this member committed
(`committed()`), asked of the group coordinator only for a partition it has not committed yet.
Kafka not answering leaves the last values (logged at DEBUG: the consumer logs the outage).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition

from workloads.shared import metrics
from workloads.shared.messaging.kafka import UNREACHABLE

log = logging.getLogger(__name__)
INTERVAL_S = 5.0  # the local Prometheus scrapes every 5 s
ROUND_TIMEOUT_S = 5.0


class LagExporter:
    """The lag gauge of one consumer group's member; `watch` it while its session lives."""

    def __init__(
        self,
        group: str,
        *,
        every_s: float = INTERVAL_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.group = group
        self.every_s = every_s
        self._sleep = sleep
        self._committed: dict[TopicPartition, int] = {}
        self._exported: set[TopicPartition] = set()

    def committed(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Record offsets this member has just committed (the next record to read)."""
        self._committed.update(offsets)

    async def watch(self, consumer: AIOKafkaConsumer) -> None:
        """Export every `every_s` until cancelled; `forget()` when the session ends."""
        while True:
            try:
                await asyncio.wait_for(self.export(consumer), ROUND_TIMEOUT_S)
            except UNREACHABLE as exc:
                log.debug("consumer lag of %s not read this round: %r", self.group, exc)
            await self._sleep(self.every_s)

    async def export(self, consumer: AIOKafkaConsumer) -> None:
        """Read end offsets of the assigned partitions once and set their gauges."""
        assigned = set(consumer.assignment())
        for gone in self._exported - assigned:
            self._drop(gone)
        if not assigned:
            return
        ordered = sorted(assigned)
        end: dict[TopicPartition, int] = await consumer.end_offsets(ordered)
        unknown = [tp for tp in ordered if tp not in self._committed]
        if unknown:
            begin: dict[TopicPartition, int] = await consumer.beginning_offsets(unknown)
            for tp in unknown:
                # Never committed by the group: it starts at the beginning (auto_offset_reset).
                committed = await consumer.committed(tp)
                self._committed[tp] = begin[tp] if committed is None else committed
        for tp in ordered:
            if tp not in consumer.assignment():  # revoked while we asked
                continue
            lag = max(0, end[tp] - self._committed[tp])
            metrics.consumer_lag.labels(self.group, tp.topic, str(tp.partition)).set(lag)
            self._exported.add(tp)

    def forget(self) -> None:
        """The session ended: this member owns no partition and knows no commit any more."""
        for tp in list(self._exported):
            self._drop(tp)
        self._committed.clear()

    def _drop(self, tp: TopicPartition) -> None:
        metrics.consumer_lag.remove(self.group, tp.topic, str(tp.partition))
        self._exported.discard(tp)
        self._committed.pop(tp, None)
