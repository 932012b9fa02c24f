"""Consume events effectively once: inbox + effect in one transaction, retries, then the DLQ.

For each record: decode the envelope, then in one transaction claim the event in the inbox and
apply the handler's effect (which may append outbox events). A failure is retried with exponential
backoff and jitter; after the third failed attempt the record is copied to `<topic>.dlq` with the
error, the attempt count and its original coordinates in headers (`dead_letters.DeadLetter`),
and the consumer moves on.
Attempts and backoff come from the pipeline's `kafka` retry policy when it sets one
(resiliency.py); the numbers above are the defaults without one.
Offsets are committed only after every record before them is applied or dead-lettered, so a crash
means redelivery, never loss, and redelivery changes nothing thanks to the inbox. Under a steady
flow they are committed at most every `COMMIT_EVERY_S` (a commit is a round trip to the group
coordinator the next fetch would wait for), at once whenever a fetch comes back empty, and when
the consumer leaves; a crash therefore redelivers at most that much more, which the inbox absorbs.

Records of different partitions are handled concurrently; within a partition (one aggregate key
range) strictly in order.

Kafka unreachable (at start-up or later: a failed join, commit or DLQ write) ends the session, not
the process: the consumer leaves, waits with capped back-off (`kafka.Backoff`, one log line per
attempt) and joins again; what was not committed is redelivered and the inbox absorbs it.

This module injects no failures. Tests that need one install `ConsumerHooks` (the keyword-only
`hooks` seam): `before_apply` may raise to make handling fail, `after_commit` runs once an
effect's transaction committed and before its offset is. The e2e harness's hooks live in
tests/support/consumer_faults.py and are loaded only through `CONVEYOR_TEST_HOOKS`, which a
production pipeline refuses (operators/pipeline/spec.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime

from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.errors import CommitFailedError, IllegalStateError
from opentelemetry.trace import SpanKind
from tenacity import AsyncRetrying, RetryCallState, stop_after_attempt

from workloads.contracts.topics import dlq_topic
from workloads.shared import metrics
from workloads.shared.database import UNREACHABLE as DATABASE_UNREACHABLE
from workloads.shared.database import Connection, Pool, transaction
from workloads.shared.messaging import inbox
from workloads.shared.messaging.consumer_lag import LagExporter
from workloads.shared.messaging.dead_letters import DeadLetter, carried_over, describe
from workloads.shared.messaging.envelope import Envelope, PoisonMessageError, header_map
from workloads.shared.messaging.kafka import (
    DEFAULT_BACKOFF,
    UNREACHABLE,
    Backoff,
    KafkaSettings,
    create_consumer,
)
from workloads.shared.messaging.subscriptions import (
    BatchHook,
    ConsumerHooks,
    Handler,
    Reads,
    RetryPolicy,
    Subscription,
)
from workloads.shared.telemetry import handling

__all__ = [
    "BatchHook",
    "ConsumerHooks",
    "EventConsumer",
    "Handler",
    "Reads",
    "RetryPolicy",
    "Subscription",
]

log = logging.getLogger(__name__)
COMMIT_EVERY_S = 0.5  # the longest a steady flow runs ahead of its committed offsets
COMMIT_ON_EXIT_S = 2.0  # how long a leaving consumer tries to commit what it applied


class _JoinTracker(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self) -> None:
        self.joined = asyncio.Event()
        self.assigned: set[TopicPartition] = set()

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        self.assigned -= set(revoked)

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        self.assigned |= set(assigned)
        self.joined.set()


class EventConsumer:
    def __init__(
        self,
        *,
        group: str,
        subscriptions: Iterable[Subscription],
        pool: Pool,
        producer: AIOKafkaProducer,
        kafka: KafkaSettings,
        retry: RetryPolicy | None = None,
        hooks: ConsumerHooks | None = None,
        before_batch: BatchHook | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,  # tests pass fake time
        clock: Callable[[], float] = time.monotonic,  # and a fake clock
    ) -> None:
        self.group = group
        self.subscriptions = {s.message_type: s for s in subscriptions}
        self.topics = sorted({s.topic for s in self.subscriptions.values()})
        self._pool = pool
        self._producer = producer
        self._kafka = kafka
        self._retry = retry or RetryPolicy()
        self._hooks = hooks
        self._before_batch = before_batch
        self._backoff = backoff
        self._sleep = sleep
        self._clock = clock
        self._tracker = _JoinTracker()
        self.lag = LagExporter(group, sleep=sleep)

    @property
    def joined(self) -> bool:
        return self._tracker.joined.is_set()

    async def run(self) -> None:
        """Consume until cancelled; a lost broker ends a session, never this loop."""
        failures = 0
        while True:
            consumer = create_consumer(self._kafka, group_id=self.group)
            consumer.subscribe(self.topics, listener=self._tracker)
            lag: asyncio.Task[None] | None = None
            try:
                await consumer.start()
                failures = 0
                lag = asyncio.create_task(self.lag.watch(consumer), name=f"lag-{self.group}")
                await self._consume(consumer)
            except UNREACHABLE as exc:
                failures += 1
                log.warning(
                    "consumer %s lost Kafka (attempt %d): %r; joining again in %.1fs",
                    self.group,
                    failures,
                    exc,
                    self._backoff.delay(failures),
                )
            finally:
                self._tracker.joined.clear()
                if lag is not None:
                    lag.cancel()
                    await asyncio.gather(lag, return_exceptions=True)
                self.lag.forget()
                await consumer.stop()
            await self._sleep(self._backoff.delay(max(1, failures)))

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        """Fetch, apply, and commit what was applied: at most every `COMMIT_EVERY_S` while
        records keep coming, at once when a fetch comes back empty, and on the way out."""
        applied: dict[TopicPartition, int] = {}  # next offset to read, not yet committed
        last_commit = self._clock()
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=200, max_records=500)
                if batch:
                    await asyncio.gather(*(self._handle_partition(r) for r in batch.values()))
                    applied.update({tp: recs[-1].offset + 1 for tp, recs in batch.items()})
                due = not batch or self._clock() - last_commit >= COMMIT_EVERY_S
                if applied and due:
                    await self._commit(consumer, applied)
                    applied, last_commit = {}, self._clock()
        finally:
            if applied:  # leaving (cancelled, or Kafka lost): spare the next owner a redelivery
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._commit(consumer, applied), COMMIT_ON_EXIT_S)

    async def _commit(self, consumer: AIOKafkaConsumer, applied: dict[TopicPartition, int]) -> None:
        # Partitions revoked by a rebalance since they were applied cannot be committed by this
        # member: their new owner redelivers from the last commit, and the inbox makes that
        # harmless. Only the partitions still assigned are committed.
        assigned = consumer.assignment()
        offsets = {tp: offset for tp, offset in applied.items() if tp in assigned}
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
            self.lag.committed(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            log.warning("offset commit lost to a rebalance: %s", exc)

    async def _handle_partition(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        if len(records) > 1 and await self._apply_together(records):
            return
        for record in records:
            await self.handle(record)

    async def _apply_together(self, records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        """Apply a partition's batch in one transaction: one commit (and fsync) for all of it.

        Anything unusual — a record that does not decode, hooks installed, a handler error, a
        deadlock — rolls the whole batch back and returns False, and the caller handles the
        records one by one with retries and the DLQ. So batching changes the cost, never the
        outcome: each record's inbox claim and effect still commit together. The batch's inbox
        claims are one statement (`inbox.claim_many`), made before any effect. Every fallback is
        logged at WARNING with its reason (`deadlock_detected` for a deadlock).
        """
        began = time.perf_counter()
        try:
            envelopes = [Envelope.from_value(record.value) for record in records]
        except PoisonMessageError as exc:
            return self._fall_back(records, "poison_message", exc)
        if self._hooks is not None:  # each record must see its own transaction
            return self._fall_back(records, "test_hooks", None)
        outcomes: list[str] = []
        try:
            subs = [self._subscription(r, e) for r, e in zip(records, envelopes, strict=True)]
            wanted = [e for e, sub in zip(envelopes, subs, strict=True) if sub is not None]
            async with transaction(self._pool) as conn:
                if self._before_batch is not None:
                    await self._before_batch(conn, envelopes)
                claimed = await inbox.claim_many(conn, self.group, wanted)  # one statement
                for record, envelope, sub in zip(records, envelopes, subs, strict=True):
                    outcomes.append(
                        "ignored"
                        if sub is None
                        else await self._run(conn, record, envelope, sub, claimed=claimed)
                    )
        except Exception as exc:
            reason = "deadlock_detected" if getattr(exc, "sqlstate", None) == "40P01" else "error"
            return self._fall_back(records, reason, exc)
        elapsed = (time.perf_counter() - began) / len(records)
        for record, outcome in zip(records, outcomes, strict=True):
            metrics.messages_handled.labels(self.group, record.topic, outcome).inc()
            metrics.message_latency.labels(self.group, record.topic).observe(elapsed)
        return True

    def _fall_back(
        self, records: list[ConsumerRecord[bytes, bytes]], reason: str, error: Exception | None
    ) -> bool:
        first = records[0]
        log.warning(
            "batch of %d records from %s[%d]@%d rolled back (%s: %r); applying them one by one",
            len(records),
            first.topic,
            first.partition,
            first.offset,
            reason,
            error,
        )
        return False

    def _subscription(
        self, record: ConsumerRecord[bytes, bytes], envelope: Envelope
    ) -> Subscription | None:
        """The handler here for the record, if any; raises if its payload cannot be read."""
        subscription = self.subscriptions.get(envelope.event_type)
        if subscription is None or subscription.topic != record.topic:
            return None
        envelope.read_as(subscription.reads.model)  # a payload we cannot read is poison
        return subscription

    async def _apply_in(
        self, conn: Connection, record: ConsumerRecord[bytes, bytes], envelope: Envelope
    ) -> str:
        subscription = self._subscription(record, envelope)
        if subscription is None:
            return "ignored"
        return await self._run(conn, record, envelope, subscription, claimed=None)

    async def _run(
        self,
        conn: Connection,
        record: ConsumerRecord[bytes, bytes],
        envelope: Envelope,
        subscription: Subscription,
        *,
        claimed: set[str] | None,
    ) -> str:
        """Claim in the inbox and apply; `claimed`: a batch's claims, made in one statement.

        An event found in `claimed` is taken out of it, so the same event later in the batch is
        a duplicate.
        """
        with handling(
            f"consume {envelope.event_type}",
            correlation=envelope.correlation_id,
            carrier=header_map(record.headers),
            kind=SpanKind.CONSUMER,
        ):
            if claimed is None:
                if not await inbox.claim(conn, self.group, envelope):
                    return "duplicate"
            elif str(envelope.event_id) in claimed:
                claimed.discard(str(envelope.event_id))
            else:
                return "duplicate"
            await subscription.handler(conn, envelope)
        return "applied"

    async def handle(self, record: ConsumerRecord[bytes, bytes]) -> str:
        """Apply one record (with retries, then DLQ); returns the outcome label."""
        began = time.perf_counter()
        outcome = "applied"
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self._retry.max_attempts),
                wait=self._retry.wait(),
                before_sleep=self._count_retry(record.topic),
                sleep=self._sleep,
                reraise=True,
            ):
                with attempt:
                    outcome = await self._apply_when_database_answers(record)
        except Exception as exc:
            await self._dead_letter(record, exc)
            outcome = "dead_lettered"
        metrics.messages_handled.labels(self.group, record.topic, outcome).inc()
        metrics.message_latency.labels(self.group, record.topic).observe(
            time.perf_counter() - began
        )
        return outcome

    async def _apply_when_database_answers(self, record: ConsumerRecord[bytes, bytes]) -> str:
        """A database that does not answer is not the record's fault: wait for it (capped
        back-off, however long) without spending the record's attempts, which are for errors of
        the record itself. Found by the chaos suite: a PostgreSQL restart dead-lettered events
        whose effects were then missing (ADR 0025)."""
        failures = 0
        while True:
            try:
                return await self._apply(record)
            except DATABASE_UNREACHABLE as exc:
                failures += 1
                if failures == 1:
                    log.warning("%s: database unreachable, waiting: %r", self.group, exc)
                await self._sleep(self._backoff.delay(failures))

    async def _apply(self, record: ConsumerRecord[bytes, bytes]) -> str:
        envelope = Envelope.from_value(record.value)
        if self._hooks is not None:
            await self._hooks.before_apply(envelope)
        async with transaction(self._pool) as conn:
            outcome = await self._apply_in(conn, record, envelope)
        if outcome == "applied" and self._hooks is not None:
            await self._hooks.after_commit(envelope)
        return outcome

    def _count_retry(self, topic: str) -> Callable[[RetryCallState], None]:
        def before_sleep(state: RetryCallState) -> None:
            metrics.handler_retries.labels(self.group, topic).inc()
            error = state.outcome.exception() if state.outcome else None
            log.warning("attempt %d failed on %s: %r", state.attempt_number, topic, error)

        return before_sleep

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], error: Exception) -> None:
        letter = DeadLetter(
            error=describe(error),
            attempts=self._retry.max_attempts,
            original_topic=record.topic,
            original_partition=record.partition,
            original_offset=record.offset,
            consumer_group=self.group,
            failed_at=datetime.now(UTC),
        )
        sent = await self._producer.send(
            dlq_topic(record.topic),
            value=record.value,
            key=record.key,
            headers=[*carried_over(record.headers), *letter.to_headers()],
        )
        await sent  # the offset is committed only once the DLQ holds the record
        metrics.dlq_messages.labels(record.topic).inc()
        log.error(
            "dead-lettered %s[%d]@%d after %d attempts: %s",
            record.topic,
            record.partition,
            record.offset,
            self._retry.max_attempts,
            error,
        )
