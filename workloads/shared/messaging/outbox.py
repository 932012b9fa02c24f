"""Transactional outbox: the only way a service publishes, and the relay that drains it.

Guarantee: an event is published if and only if the transaction that wrote it committed, at least
once, in commit order per service. The relay sends a batch with the idempotent producer, waits for
every acknowledgement (acks=all), and only then deletes the rows; a crash in between re-sends the
batch, which the consumers' inbox absorbs (same event id). One relay per database is active at a
time (a session advisory lock), so ordering per key holds even with several replicas.
"""

from __future__ import annotations

import asyncio
import json
import logging

import asyncpg
from aiokafka import AIOKafkaProducer

from workloads.shared import metrics
from workloads.shared.database import Connection
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.telemetry import trace_headers

log = logging.getLogger(__name__)
_RELAY_LOCK = 0x52454C41  # "RELA"


async def append(conn: Connection, envelope: Envelope, *, key: str) -> None:
    """Stage an event for publication inside the caller's transaction."""
    headers = {k: v.decode() for k, v in envelope.headers(trace_headers())}
    await conn.execute(
        "INSERT INTO outbox (topic, key, value, headers) VALUES ($1, $2, $3, $4)",
        envelope.topic,
        key,
        envelope.to_value(),
        json.dumps(headers),
    )


class OutboxRelay:
    """Publishes outbox rows to Kafka; wakes on NOTIFY, polls once a second as a safety net."""

    def __init__(
        self, *, dsn: str, producer: AIOKafkaProducer, batch_size: int = 500, poll_s: float = 1.0
    ) -> None:
        self._dsn = dsn
        self._producer = producer
        self._batch_size = batch_size
        self._poll_s = poll_s
        self._wake = asyncio.Event()

    async def run(self) -> None:
        while True:
            try:
                await self._run_once()
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("outbox relay lost its connection, retrying: %s", exc)
                await asyncio.sleep(1)

    async def _run_once(self) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(self._dsn)
        try:
            # Another replica may relay: block until its session ends and the lock is ours.
            await conn.execute("SELECT pg_advisory_lock($1)", _RELAY_LOCK)
            await conn.add_listener("outbox", lambda *_: self._wake.set())
            while True:
                # Clear before draining: a NOTIFY that lands during the drain keeps the event
                # set, so the next round starts at once instead of after the poll interval.
                self._wake.clear()
                published = await self._drain(conn)
                if published < self._batch_size:
                    try:
                        await asyncio.wait_for(self._wake.wait(), timeout=self._poll_s)
                    except TimeoutError:
                        metrics.outbox_backlog.set(
                            await conn.fetchval("SELECT count(*) FROM outbox")
                        )
        finally:
            await conn.close()

    async def _drain(self, conn: asyncpg.Connection) -> int:
        rows = await conn.fetch(
            "SELECT id, topic, key, value, headers FROM outbox ORDER BY id LIMIT $1",
            self._batch_size,
        )
        if not rows:
            metrics.outbox_backlog.set(0)
            return 0
        sends = []
        for row in rows:
            headers = [(k, v.encode()) for k, v in json.loads(row["headers"]).items()]
            sends.append(
                await self._producer.send(
                    row["topic"], value=row["value"], key=row["key"].encode(), headers=headers
                )
            )
        await asyncio.gather(*sends)
        await conn.execute(
            "DELETE FROM outbox WHERE id = ANY($1::bigint[])", [r["id"] for r in rows]
        )
        for row in rows:
            metrics.outbox_published.labels(row["topic"]).inc()
        return len(rows)
