"""The two Kafka clients an offset reader needs, started on first use and stopped together.

Readers of offsets (the order service's lag snapshots, the dead-letter depth gauge) ask an admin
client for topics and a group's committed offsets (`OffsetFetch`), and a group-less consumer for
the partitions' beginning and end offsets (`ListOffsets`). `OffsetClients` builds both from one
`KafkaSettings`, under the reader's own client id (so the broker's logs tell them apart), with the
settings' request timeout.

Guarantee: `clients()` starts each client once and hands the same pair back on every later call;
the consumer joins no group and commits nothing, so reading offsets never moves a group.
`isolation_level` decides what "end" means: `read_committed` gives the last stable offset (what a
transactional consumer can reach), `read_uncommitted` the high watermark.

Failure: a client whose `start()` raises (broker unreachable, timeout) is not kept, and the error
goes to the caller unchanged; the next `clients()` tries again (an admin client already started is
kept). `close()` stops whatever was started (the consumer even when closing the admin client
raises), may be called any number of times, and leaves the object ready to start new clients.
"""

from __future__ import annotations

from typing import Literal

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from workloads.shared.messaging.kafka import KafkaSettings

IsolationLevel = Literal["read_committed", "read_uncommitted"]


class OffsetClients:
    """An admin client and a group-less consumer over `settings`, started on first use."""

    def __init__(
        self, settings: KafkaSettings, *, isolation_level: IsolationLevel = "read_uncommitted"
    ) -> None:
        self._settings = settings
        self._isolation_level = isolation_level
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        """The started admin client and consumer (started now if not yet)."""
        settings = self._settings
        if self._admin is None:
            admin = AIOKafkaAdminClient(
                **settings.connection(),
                client_id=settings.client_id,
                request_timeout_ms=settings.request_timeout_ms,
            )
            await admin.start()
            self._admin = admin
        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                **settings.connection(),
                client_id=settings.client_id,
                group_id=None,
                enable_auto_commit=False,
                isolation_level=self._isolation_level,
                request_timeout_ms=settings.request_timeout_ms,
            )
            await consumer.start()
            self._consumer = consumer
        return self._admin, self._consumer

    async def close(self) -> None:
        """Stop both clients (those started); safe to call again."""
        admin, consumer = self._admin, self._consumer
        self._admin = self._consumer = None
        try:
            if admin is not None:
                await admin.close()
        finally:
            if consumer is not None:
                await consumer.stop()
