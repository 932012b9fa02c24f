"""Whether a step's command or its reply still waits in a Kafka queue: such a step is not late.

A step deadline says "the dependency consumed the command and did not answer". While the command
still waits on its partition (the dependency down, frozen, cut off from the broker, or behind a
backlog), or the answer waits on ours, the deadline says nothing about the order, and cancelling
it would punish the customer for a queue. So before the sweeper fires, it asks Kafka: the
consumer groups' committed offsets (admin `OffsetFetch`) against the topics' end offsets, on the
partition of the order's key (every message of an order is keyed by its id). Lag > 0 on the
dependency's command partition, or on the order service's reply partition, means something of
that partition is not yet consumed, which includes this order's message whenever it is not:
the step is deferred. Lag 0 on both means the command was consumed and no reply is queued; but
it may have been consumed a moment ago, its answer still on the way (the chaos suite's
proxy-latency found payment charging 0.5 s after the deadline). So the reader remembers when it
last saw each partition busy, and a step fires only once its partitions have been seen quiet
for a full step timeout: a genuine timeout, a step after consumption.

Over-approximate on purpose: later commands on the same partition keep the lag above 0 too, so
a consumed-but-unanswered step may be deferred while the partition is busy; the sweeper caps
every deferral at `saga_queue_wait_max_s` since the step began. A snapshot that could not be
taken (broker slow, partition count unknown) counts as "queued" for the same reason: no order
is cancelled on a question Kafka did not answer. One snapshot (two round trips per group and
one `ListOffsets`) is taken per sweep that has overdue steps, never per order (`jobs`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from math import inf

from aiokafka import TopicPartition
from aiokafka.partitioner import murmur2

from workloads.contracts.registry import spec_of
from workloads.order.domain.order import Step
from workloads.shared.messaging.kafka import KafkaSettings
from workloads.shared.messaging.offsets import OffsetClients

ORDER_GROUP = "order-saga"  # the order service's reply consumer (consumers.py)


@dataclass(frozen=True)
class Queue:
    """Where a message of a step waits: a topic, read by a consumer group."""

    group: str
    topic: str


def _queues(group: str, *message_types: str) -> tuple[Queue, ...]:
    return tuple(Queue(group, t) for t in sorted({spec_of(m).topic for m in message_types}))


# Each step: its command at the dependency's group, then its replies at the order service's.
QUEUES_OF_STEP: dict[Step, tuple[Queue, ...]] = {
    Step.RESERVING_INVENTORY: _queues("inventory", "ReserveInventory")
    + _queues(ORDER_GROUP, "InventoryReserved", "InventoryReservationFailed"),
    Step.RELEASING_INVENTORY: _queues("inventory", "ReleaseInventory")
    + _queues(ORDER_GROUP, "InventoryReleased"),
    Step.PROCESSING_PAYMENT: _queues("payment", "ProcessPayment")
    + _queues(ORDER_GROUP, "PaymentCompleted", "PaymentFailed"),
    Step.REFUNDING_PAYMENT: _queues("payment", "RefundPayment")
    + _queues(ORDER_GROUP, "PaymentRefunded"),
}


def partition_of(key: str, partitions: int) -> int:
    """The partition the default partitioner (Java's and aiokafka's) gives a UTF-8 key."""
    return int(murmur2(key.encode()) & 0x7FFFFFFF) % partitions


@dataclass(frozen=True)
class Backlog:
    """Unconsumed records per partition of each queue, at one moment (absent: unknown), and how
    long ago each partition was last seen with some (absent: never seen so)."""

    lags: Mapping[Queue, tuple[int, ...]]
    busy_ago: Mapping[tuple[Queue, int], float] = field(default_factory=dict)

    def waiting(self, queues: Iterable[Queue], key: str, *, quiet_s: float = 0.0) -> bool:
        """True unless every queue is known, empty on the partition of `key`, and was not seen
        busy there within `quiet_s` (its last record, maybe this order's, may be just consumed
        and its answer on the way)."""
        for queue in queues:
            lags = self.lags.get(queue)
            if not lags:
                return True
            partition = partition_of(key, len(lags))
            if lags[partition] > 0 or self.busy_ago.get((queue, partition), inf) < quiet_s:
                return True
        return False


UNKNOWN = Backlog({})


class LagReader:
    """Takes `Backlog` snapshots of `queues`; its two Kafka clients start on first use."""

    def __init__(
        self,
        settings: KafkaSettings,
        *,
        queues: Iterable[Queue] | None = None,  # default: every queue of `QUEUES_OF_STEP`
        timeout_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings.model_copy(
            update={"client_id": f"{settings.client_id}-lag"}
        )  # shown as such in the broker's logs
        every = (q for qs in QUEUES_OF_STEP.values() for q in qs)
        self.queues = tuple(dict.fromkeys(every if queues is None else queues))
        self.timeout_s = timeout_s
        self._clock = clock
        self._busy_at: dict[tuple[Queue, int], float] = {}  # when last seen with lag > 0
        # Read-committed: the end offsets a transactional consumer group can reach.
        self._clients = OffsetClients(self._settings, isolation_level="read_committed")

    async def snapshot(self) -> Backlog:
        """The lag of every queue; raises what Kafka or the timeout raises."""
        return await asyncio.wait_for(self._snapshot(), self.timeout_s)

    async def _snapshot(self) -> Backlog:
        admin, offsets = await self._clients.clients()
        topics = sorted({q.topic for q in self.queues})
        described = await admin.describe_topics(topics)
        counts = {d["topic"]: len(d["partitions"]) for d in described if not d["error_code"]}
        tps = [TopicPartition(t, p) for t, n in counts.items() for p in range(n)]
        end: dict[TopicPartition, int] = await offsets.end_offsets(tps)
        lags: dict[Queue, tuple[int, ...]] = {}
        for group in sorted({q.group for q in self.queues}):
            committed = await admin.list_consumer_group_offsets(group)
            for queue in (q for q in self.queues if q.group == group and q.topic in counts):
                lags[queue] = tuple(
                    end[tp] - max(0, committed[tp].offset) if tp in committed else end[tp]
                    for tp in (TopicPartition(queue.topic, p) for p in range(counts[queue.topic]))
                )
        now = self._clock()
        for queue, per_partition in lags.items():
            for partition, lag in enumerate(per_partition):
                if lag > 0:
                    self._busy_at[(queue, partition)] = now
        return Backlog(lags, {k: now - at for k, at in self._busy_at.items()})

    async def close(self) -> None:
        await self._clients.close()
