"""Transactional outbox: the only way a service publishes, and the relay that drains it.

Guarantee: an event is published if and only if the transaction that wrote it committed, at least
once, in commit order per key. The relay sends a batch with the idempotent producer, waits for
every acknowledgement (acks=all), and only then deletes the rows; a crash in between re-sends the
batch, which the consumers' inbox absorbs (same event id). One relay per database is active at a
time (a session advisory lock), so ordering per key holds even with several replicas.

Failures:
- transient (broker down or unreachable, timeouts, a lost database connection): the relay never
  ends; it backs off (0.5 s doubling to 5 s, one WARNING per attempt, counted in
  `conveyor_outbox_relay_retries_total`) and resumes when the broker is back. Records already
  handed to the producer are not re-sent: the idempotent producer retries them itself, and the
  relay waits for their acknowledgements, logging while it waits.
- permanent (the record is larger than the broker or producer accepts, the topic name is invalid,
  or the topic does not exist — the broker answered and named no such topic after the producer's
  bounded metadata wait): the row can never be sent, so it is *parked*: moved to
  `outbox_dead_letters` with its error, in one statement with its delete, counted in
  `conveyor_outbox_dead_letters_total` (the gauge `conveyor_outbox_dead_letter_rows` holds how
  many are parked), logged as a WARNING; the rows after it go on in order.
Of a batch, the rows acknowledged are deleted unless a row with the same key before them failed
(that one may be re-sent later, and its successor must not overtake it: such rows are re-sent,
which the inbox absorbs).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    UnknownTopicOrPartitionError,
)

from workloads.shared import metrics
from workloads.shared.database import Connection, stage
from workloads.shared.messaging import tracing
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.messaging.kafka import DEFAULT_BACKOFF, UNREACHABLE, Backoff, connect
from workloads.shared.telemetry import trace_headers

log = logging.getLogger(__name__)
_RELAY_LOCK = 0x52454C41  # "RELA"

# Errors no retry can cure for this record (an unknown topic is confirmed first: `_classify`).
PERMANENT: tuple[type[KafkaError], ...] = (
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    InvalidTopicError,
)
# What ends a round of the relay but never the relay: a lost database or broker.
_RETRIED: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    *UNREACHABLE,
)
_PARK = """
WITH moved AS (DELETE FROM outbox WHERE id = $1 RETURNING *)
INSERT INTO outbox_dead_letters (id, topic, key, value, headers, created_at, error)
SELECT id, topic, key, value, headers, created_at, $2 FROM moved
"""


_INSERT = "INSERT INTO outbox (topic, key, value, headers) VALUES ($1, $2, $3, $4)"
# Many rows in one round trip, ids (the relay's order) following the order they were appended.
_INSERT_MANY = (
    "INSERT INTO outbox (topic, key, value, headers) SELECT r.topic, r.key, r.value, r.headers"
    " FROM unnest($1::text[], $2::text[], $3::bytea[], $4::jsonb[])"
    " WITH ORDINALITY AS r(topic, key, value, headers, n) ORDER BY r.n"
)
Row = tuple[str, str, bytes, str]  # topic, key, value, headers (JSON)


async def append(conn: Connection, envelope: Envelope, *, key: str) -> None:
    """Stage an event for publication inside the caller's transaction.

    Inside a `database.transaction()` block the row is written with the block's other outbox
    rows by one statement just before it commits (`database.stage`: a batch of N records costs
    one INSERT, not N); the trace context is the one current here, at the append. Outside such a
    block it is written at once.
    """
    headers = {k: v.decode() for k, v in envelope.headers(trace_headers())}
    row: Row = (envelope.topic, key, envelope.to_value(), json.dumps(headers))
    if not stage(conn, write, row):
        await write(conn, [row])


async def write(conn: Connection, rows: Sequence[Row]) -> None:
    """Insert outbox rows in one statement, in the order given."""
    if len(rows) == 1:
        await conn.execute(_INSERT, *rows[0])
        return
    topics, keys, values, headers = (list(column) for column in zip(*rows, strict=True))
    await conn.execute(_INSERT_MANY, topics, keys, values, headers)


class KafkaUnavailableError(Exception):
    """A round of the relay met a transient Kafka error; the rows stay for the next round."""


class OutboxRelay:
    """Publishes outbox rows to Kafka; wakes on NOTIFY, polls once a second as a safety net.

    The relay owns its producer (`producer` makes one): when the broker refuses a record it has
    accepted for sending (a batch above the topic's `max.message.bytes`), the idempotent
    producer's sequence for that partition no longer matches the broker's, so the relay stops
    that producer and connects a fresh one before the next round.
    """

    def __init__(
        self,
        *,
        dsn: str,
        producer: Callable[[], AIOKafkaProducer],
        batch_size: int = 500,
        poll_s: float = 1.0,
        ack_wait_log_s: float = 10.0,
        stop_timeout_s: float = 10.0,
        backoff: Backoff = DEFAULT_BACKOFF,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,  # tests pass fake time
    ) -> None:
        self._dsn = dsn
        self._new_producer = producer
        self._producer: AIOKafkaProducer | None = None
        self._stop_timeout_s = stop_timeout_s
        self._batch_size = batch_size
        self._poll_s = poll_s
        self._ack_wait_log_s = ack_wait_log_s
        self._backoff = backoff
        self._sleep = sleep
        self._wake = asyncio.Event()
        self._failures = 0

    async def run(self) -> None:
        """Relay until cancelled; no Kafka or database error ends it."""
        try:
            while True:
                try:
                    await self._run_once()
                except _RETRIED as exc:
                    cause = "kafka" if isinstance(exc, KafkaError) else "database"
                    await self._back_off(cause, exc)
        finally:
            await self._close_producer()

    async def _connected(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = self._new_producer()
            await connect(
                producer, what="outbox relay producer", backoff=self._backoff, sleep=self._sleep
            )
            self._producer = producer
        return self._producer

    async def _close_producer(self) -> None:
        """Stop the producer; bounded, as a flush waits for a broker that may be away."""
        producer, self._producer = self._producer, None
        if producer is None:
            return
        try:
            await asyncio.wait_for(producer.stop(), timeout=self._stop_timeout_s)
        except (*UNREACHABLE, *PERMANENT) as exc:
            log.warning("outbox relay: its producer did not stop cleanly: %r", exc)

    async def _back_off(self, cause: str, exc: BaseException) -> None:
        self._failures += 1
        pause = self._backoff.delay(self._failures)
        metrics.outbox_relay_retries.labels(cause).inc()
        log.warning(
            "outbox relay: %s unavailable (attempt %d): %r; retrying in %.1fs",
            cause,
            self._failures,
            exc,
            pause,
        )
        await self._sleep(pause)

    async def _run_once(self) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(self._dsn)
        try:
            # Another replica may relay: block until its session ends and the lock is ours.
            await conn.execute("SELECT pg_advisory_lock($1)", _RELAY_LOCK)
            await conn.add_listener("outbox", lambda *_: self._wake.set())
            await self._count_parked(conn)
            while True:
                # Clear before draining: a NOTIFY that lands during the drain keeps the event
                # set, so the next round starts at once instead of after the poll interval.
                self._wake.clear()
                try:
                    again = await self._drain(conn)
                except KafkaUnavailableError as exc:
                    await self._back_off("kafka", exc.__cause__ or exc)
                    continue
                self._failures = 0
                if not again:  # the backlog gauges are every replica's (messaging.backlog)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=self._poll_s)
        finally:
            await conn.close()

    async def _drain(self, conn: asyncpg.Connection) -> bool:
        """One round: send a batch, delete what is acknowledged, park what never can be.

        True when rows are left for another round at once (a full batch, or rows held back).
        """
        rows = await conn.fetch(
            "SELECT id, topic, key, value, headers FROM outbox ORDER BY id LIMIT $1",
            self._batch_size,
        )
        if not rows:
            return False
        producer = await self._connected()
        outcomes, broker_refused = await self._publish(producer, rows)
        blocked: set[str] = set()  # keys with an earlier row not sent: later ones must wait
        done: list[asyncpg.Record] = []
        for row, outcome in zip(rows, outcomes, strict=True):
            if outcome is None and row["key"] not in blocked:
                done.append(row)
            else:
                blocked.add(row["key"])
        if done:
            await conn.execute(
                "DELETE FROM outbox WHERE id = ANY($1::bigint[])", [r["id"] for r in done]
            )
            for row in done:
                metrics.outbox_published.labels(row["topic"]).inc()
        transient: BaseException | None = None
        for row, outcome in zip(rows, outcomes, strict=True):
            if not isinstance(outcome, BaseException):
                continue
            if await self._is_permanent(producer, outcome, row["topic"]):
                await self._park(conn, row, outcome)
            elif transient is None:
                transient = outcome
        if broker_refused:
            await self._close_producer()  # its sequence numbers no longer match the broker's
        if transient is not None:
            raise KafkaUnavailableError(str(transient)) from transient
        return len(rows) == self._batch_size or len(done) < len(rows)

    async def _publish(
        self, producer: AIOKafkaProducer, rows: Sequence[asyncpg.Record]
    ) -> tuple[list[BaseException | bool | None], bool]:
        """Send rows in order: per row None (acknowledged), an error, or False (not sent or not
        acknowledged); and whether the broker refused a record the producer had sent.

        Sending stops at the first row the producer refuses outright (too large, topic unknown
        after its metadata wait, buffer full while the broker is away): rows after it wait for
        the next round, so no row overtakes an earlier one of its key. A refusal by the broker
        stops the wait too: the rows still unacknowledged go again with a fresh producer.
        """
        sends: list[asyncio.Future[object]] = []
        refused: BaseException | None = None
        for row in rows:
            headers = json.loads(row["headers"])
            try:
                sends.append(
                    await tracing.send(
                        producer,
                        row["topic"],
                        value=row["value"],
                        key=row["key"].encode(),
                        headers=headers,
                    )
                )
            except (*UNREACHABLE, *PERMANENT) as exc:
                refused = exc
                break
        broker_refused = await self._await_acks(sends)
        outcomes: list[BaseException | bool | None] = [
            (sent.exception() if sent.done() else False) for sent in sends
        ]
        if refused is not None:
            outcomes.append(refused)
        outcomes += [False] * (len(rows) - len(outcomes))
        return outcomes, broker_refused

    async def _await_acks(self, sends: list[asyncio.Future[object]]) -> bool:
        """Wait for every acknowledgement, or for the first refusal (True then).

        With Kafka unreachable the idempotent producer retries by itself, so this waits as long
        as the outage lasts, logging every `ack_wait_log_s`.
        """
        pending = set(sends)
        while pending:
            done, pending = await asyncio.wait(
                pending, timeout=self._ack_wait_log_s, return_when=asyncio.FIRST_EXCEPTION
            )
            if any(sent.exception() is not None for sent in done):
                return True
            if pending and not done:
                log.warning(
                    "outbox relay: %d records still wait for Kafka's acknowledgement", len(pending)
                )
        return False

    async def _is_permanent(
        self, producer: AIOKafkaProducer, error: BaseException, topic: str
    ) -> bool:
        if isinstance(error, PERMANENT):
            return True
        if not isinstance(error, UnknownTopicOrPartitionError):
            return False
        # The producer waited its request timeout for the topic's metadata. Permanent only if a
        # broker answers now and lists other topics but not this one: unreachable brokers say
        # nothing, and a broker still starting may list none yet.
        try:
            cluster = await producer.client.fetch_all_metadata()
        except UNREACHABLE:
            return False
        known = cluster.topics()
        return bool(known) and topic not in known

    async def _park(
        self, conn: asyncpg.Connection, row: asyncpg.Record, error: BaseException
    ) -> None:
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        if isinstance(error, UnknownTopicOrPartitionError):
            reason = f"{reason}: the broker lists no topic {row['topic']!r}"
        await conn.execute(_PARK, row["id"], reason)
        metrics.outbox_dead_letters.labels(row["topic"]).inc()
        await self._count_parked(conn)
        log.warning(
            "outbox row %d for %s (key %s, %d bytes) parked in outbox_dead_letters: %s",
            row["id"],
            row["topic"],
            row["key"],
            len(row["value"]),
            reason,
        )

    async def _count_parked(self, conn: asyncpg.Connection) -> None:
        metrics.outbox_parked.set(await conn.fetchval("SELECT count(*) FROM outbox_dead_letters"))
