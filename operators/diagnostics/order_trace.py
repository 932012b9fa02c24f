"""An order's trace id, from the W3C `traceparent` its messages carry.

Every message a service writes carries the trace context of the work that wrote it, and the
first one of an order (`OrderCreated`) is written by the `POST /v1/orders` request that started
the trace. So the trace id is read from, in order: a message of the order still in the outbox,
one of its dead letters, or its `OrderCreated` record on Kafka, found by seeking each partition
to the order's acceptance time (`offsets_for_times`) and reading a bounded window from there.
None when no message carries one (tracing off) or Kafka cannot be read in time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from workloads.contracts.registry import spec_of
from workloads.shared.messaging.kafka import KafkaSettings

WINDOW_MS = 60_000  # read records up to a minute after acceptance
MAX_RECORDS = 20_000
TIMEOUT_S = 15.0


def trace_id_of(headers: Mapping[str, str]) -> str | None:
    """The trace id of a `traceparent` header (version-traceid-spanid-flags), if valid."""
    parts = headers.get("traceparent", "").split("-")
    if len(parts) == 4 and len(parts[1]) == 32 and parts[1] != "0" * 32:  # noqa: PLR2004
        return parts[1]
    return None


def first_trace_id(headers: Iterable[Mapping[str, str]]) -> str | None:
    return next((t for h in headers if (t := trace_id_of(h)) is not None), None)


async def _scan(settings: KafkaSettings, order_id: str, accepted: datetime) -> str | None:
    topic = spec_of("OrderCreated").topic
    admin = AIOKafkaAdminClient(**settings.connection())
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if not described or described[0].get("error_code"):
        return None
    tps = [TopicPartition(topic, p["partition"]) for p in described[0]["partitions"]]
    consumer = AIOKafkaConsumer(**settings.connection(), enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        since = int(accepted.timestamp() * 1000) - 1000
        found = await consumer.offsets_for_times(dict.fromkeys(tps, since))
        end = await consumer.end_offsets(tps)
        live = []
        for tp in tps:
            if (at := found.get(tp)) is not None:
                consumer.seek(tp, at.offset)
                live.append(tp)
        seen = 0
        while live and seen < MAX_RECORDS:
            batch = await consumer.getmany(*live, timeout_ms=500, max_records=500)
            for tp, records in batch.items():
                for record in records:
                    seen += 1
                    if record.key is not None and record.key.decode() == order_id:
                        headers = {k: v.decode(errors="replace") for k, v in record.headers}
                        return trace_id_of(headers)
                    if record.timestamp > since + WINDOW_MS and tp in live:
                        live.remove(tp)
            live = [tp for tp in live if await consumer.position(tp) < end[tp]]
        return None
    finally:
        await consumer.stop()


async def from_kafka(settings: KafkaSettings, order_id: str, accepted: datetime) -> str | None:
    """The trace id on the order's `OrderCreated` record; None if absent or unreadable in time."""
    with contextlib.suppress(KafkaError, TimeoutError, OSError):
        return await asyncio.wait_for(_scan(settings, order_id, accepted), TIMEOUT_S)
    return None
