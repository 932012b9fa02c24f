"""Dead letters waiting per dead-letter topic, read from Kafka by every consuming replica.

`conveyor_dlq_depth_messages{topic}` is, per `<topic>.dlq`, the records a redrive has not yet
passed: the end offset minus the redrive group's committed offset (`dlq.REDRIVE_GROUP`), or minus
the beginning offset when nothing was redriven or retention removed the older ones. It is the
`pending` column of `conveyor dlq list`, read the same way, so a redrive empties it and nothing
else does: a dead letter stays counted until someone deals with it. A counter of dead-lettering
(`conveyor_dlq_messages_total`) cannot say that; it restarts with the process.

Each service watches the DLQs of the topics it consumes; replicas export the same values (read
them with max()). A round Kafka does not answer leaves the last values and is logged at DEBUG
(the consumers log the outage). The two clients (`offsets.OffsetClients`) start on the first
round and are stopped when the watch is cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

from aiokafka import TopicPartition

from workloads.shared import metrics
from workloads.shared.messaging.dlq import REDRIVE_GROUP
from workloads.shared.messaging.kafka import UNREACHABLE, KafkaSettings
from workloads.shared.messaging.offsets import OffsetClients

log = logging.getLogger(__name__)
INTERVAL_S = 5.0
ROUND_TIMEOUT_S = 10.0


class DlqDepthReader:
    """Reads the depth of `topics` (dead-letter topic names); `refresh` sets the gauges."""

    def __init__(self, settings: KafkaSettings, topics: Iterable[str]) -> None:
        self._settings = settings.model_copy(update={"client_id": f"{settings.client_id}-dlq"})
        self.topics = sorted(set(topics))
        self._clients = OffsetClients(self._settings)

    async def depths(self) -> dict[str, int]:
        """Pending dead letters per topic (topics the broker does not have are left out)."""
        admin, offsets = await self._clients.clients()
        described = await admin.describe_topics(self.topics)
        tps = [
            TopicPartition(d["topic"], p["partition"])
            for d in described
            if not d["error_code"]
            for p in d["partitions"]
        ]
        if not tps:
            return {}
        begin: dict[TopicPartition, int] = await offsets.beginning_offsets(tps)
        end: dict[TopicPartition, int] = await offsets.end_offsets(tps)
        redriven = await admin.list_consumer_group_offsets(REDRIVE_GROUP, partitions=tps)
        depths: dict[str, int] = {}
        for tp in tps:
            done = redriven[tp].offset if tp in redriven else -1
            depths[tp.topic] = depths.get(tp.topic, 0) + end[tp] - max(done, begin[tp])
        return depths

    async def refresh(self) -> None:
        for topic, depth in (await self.depths()).items():
            metrics.dlq_depth.labels(topic).set(depth)

    async def watch(
        self,
        *,
        every_s: float = INTERVAL_S,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        try:
            while True:
                try:
                    await asyncio.wait_for(self.refresh(), ROUND_TIMEOUT_S)
                except UNREACHABLE as exc:
                    log.debug("dead-letter depth not read this round: %r", exc)
                await sleep(every_s)
        finally:
            await self.close()

    async def close(self) -> None:
        await self._clients.close()
