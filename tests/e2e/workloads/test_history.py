"""A history check in the spirit of Jepsen, run after the other e2e tests (marked `history`).

Read every event ever published on every event topic and every consumer group's inbox. Every
event a group subscribes to must be applied by that group: present in its inbox, unless it is
still parked in a dead-letter topic for that group. (That it is applied at most once is the
inbox's primary key, so it is not checked here but by the effects: test_delivery.py.)

And no money moved twice, judged from what payment published, not from its ledger (whose unique
index makes a second charge row impossible, so a query on it could never fail): per order at most
one PaymentCompleted, no more refunded than charged, and the money kept matches the order's final
state: its total for a confirmed or shipped order, nothing for a cancelled one. The same audit is
made again on the card provider's own ledger (operators/local/fakes/payment_provider), which has no
rule of one charge per order: there a second call would be a second charge.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer

from operators.local.stack import LocalStack
from tests.e2e.workloads import provider_tools
from tests.e2e.workloads.kafka_tools import partitions
from tests.support.eventually import eventually
from workloads.catalog.consumers import READS as CATALOG
from workloads.contracts import events as ev
from workloads.contracts.registry import spec_of
from workloads.contracts.topics import DLQ_SUFFIX, TOPICS
from workloads.inventory.consumers import READS as INVENTORY
from workloads.notification.consumers import READS as NOTIFICATION
from workloads.order.consumers import READS as ORDER
from workloads.payment.consumers import READS as PAYMENT
from workloads.shared.messaging import dlq
from workloads.shared.messaging.envelope import Envelope, PoisonMessageError
from workloads.shipping.consumers import READS as SHIPPING

pytestmark = pytest.mark.history

PAYMENT_TOPICS = ("payments.completed", "payments.refunded")

GROUPS = {  # consumer group -> (service database, what it reads)
    **{g: ("order", r) for g, r in ORDER.items()},
    **{g: ("inventory", r) for g, r in INVENTORY.items()},
    **{g: ("payment", r) for g, r in PAYMENT.items()},
    **{g: ("notification", r) for g, r in NOTIFICATION.items()},
    **{g: ("catalog", r) for g, r in CATALOG.items()},
    **{g: ("shipping", r) for g, r in SHIPPING.items()},
}


async def _envelopes(stack: LocalStack, topics: list[str]) -> list[tuple[str, Envelope]]:
    """(topic, envelope) of every record of these topics still retained (poison skipped)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=stack.kafka.bootstrap_servers, enable_auto_commit=False
    )
    await consumer.start()
    found: list[tuple[str, Envelope]] = []
    try:
        tps = [tp for t in topics for tp in await partitions(stack, t)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            for records in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values():
                for record in records:
                    try:
                        found.append((record.topic, Envelope.from_value(record.value)))
                    except PoisonMessageError:
                        continue
    finally:
        await consumer.stop()
    return found


async def _published(stack: LocalStack) -> dict[str, set[uuid.UUID]]:
    """(topic/event type) -> event ids, over the whole retained history."""
    seen: dict[str, set[uuid.UUID]] = defaultdict(set)
    topics = [t.name for t in TOPICS if not t.name.endswith(DLQ_SUFFIX)]
    for topic, envelope in await _envelopes(stack, topics):
        seen[f"{topic}/{envelope.event_type}"].add(envelope.event_id)
    return seen


async def _parked(stack: LocalStack) -> set[tuple[str, uuid.UUID]]:
    """(group, event id) of dead letters: events a group gave up on."""
    parked: set[tuple[str, uuid.UUID]] = set()
    settings = stack.kafka.client_settings()
    for topic in await dlq.dead_letter_topics(settings):
        for record in await dlq.read(settings, topic, pending_only=False):
            try:
                event_id = Envelope.from_value(record.value).event_id
            except PoisonMessageError:
                continue
            group = record.letter.consumer_group if record.letter else ""
            parked.add((group, event_id))
    return parked


async def _missing(stack: LocalStack) -> dict[str, set[uuid.UUID]]:
    published = await _published(stack)
    parked = await _parked(stack)
    missing: dict[str, set[uuid.UUID]] = {}
    for group, (service, reads) in GROUPS.items():
        conn = await asyncpg.connect(stack.postgres.dsn(service))
        try:
            applied = {
                r["event_id"]
                for r in await conn.fetch(
                    "SELECT event_id FROM inbox WHERE consumer_group = $1", group
                )
            }
        finally:
            await conn.close()
        expected = set().union(
            *(
                published.get(f"{spec_of(r.message_type).topic}/{r.message_type}", set())
                for r in reads
            )
        )
        gaps = {e for e in expected - applied if (group, e) not in parked}
        if gaps:
            missing[group] = gaps
    return missing


async def test_every_published_event_is_applied_by_every_group_that_reads_it(
    stack: LocalStack,
) -> None:
    async def nothing_missing() -> None:  # in-flight work may still be draining
        missing = await _missing(stack)
        assert not missing, {g: len(ids) for g, ids in missing.items()}

    await eventually(nothing_missing, within_s=60, every_s=2)


@dataclass
class Money:
    """What payment announced for one order: event id -> amount, so a re-sent event counts once."""

    charged: dict[uuid.UUID, int] = field(default_factory=dict)
    refunded: dict[uuid.UUID, int] = field(default_factory=dict)

    @property
    def kept(self) -> int:
        return sum(self.charged.values()) - sum(self.refunded.values())


async def _money(stack: LocalStack) -> dict[str, Money]:
    """Order id -> the PaymentCompleted and PaymentRefunded events published for it."""
    money: dict[str, Money] = defaultdict(Money)
    for _, envelope in await _envelopes(stack, list(PAYMENT_TOPICS)):
        if envelope.correlation_id.startswith("poison-"):
            continue  # unreadable on purpose (the chaos suite's poison scenario): dead-lettered
        if envelope.event_type == "PaymentCompleted":
            charge = envelope.read_as(ev.PaymentCompleted)
            money[charge.order_id].charged[envelope.event_id] = charge.amount_cents
        elif envelope.event_type == "PaymentRefunded":
            refund = envelope.read_as(ev.PaymentRefunded)
            money[refund.order_id].refunded[envelope.event_id] = refund.amount_cents
    return money


async def test_no_order_was_charged_or_refunded_twice(stack: LocalStack) -> None:
    money = await _money(stack)
    charged_twice = {o: m.charged for o, m in money.items() if len(m.charged) > 1}
    assert charged_twice == {}, f"more than one PaymentCompleted: {charged_twice}"
    # A refund of an order never charged is published with 0 cents (payment voids it), so the
    # rule is on amounts: nobody gets back more than they paid, whatever the retries.
    over_refunded = {o: m for o, m in money.items() if m.kept < 0}
    assert over_refunded == {}, f"refunded more than charged: {over_refunded}"

    # Every terminal order whose payment events are all still retained (created inside the
    # topics' retention) kept exactly the money its state says.
    retained_s = min(t.retention_ms for t in TOPICS if t.name in PAYMENT_TOPICS) / 1000 - 3600
    conn = await asyncpg.connect(stack.postgres.dsn("order"))
    try:
        orders = await conn.fetch(
            "SELECT order_id, status, total_cents FROM orders WHERE status = ANY($1)"
            " AND created_at > now() - make_interval(secs => $2)",
            ["CONFIRMED", "SHIPPED", "CANCELLED"],
            retained_s,
        )
    finally:
        await conn.close()
    assert orders, "no finished order to audit: did the other e2e tests run?"
    disagree = {
        row["order_id"]: (row["status"], row["total_cents"], money.get(row["order_id"], Money()))
        for row in orders
        if money.get(row["order_id"], Money()).kept
        != (0 if row["status"] == "CANCELLED" else row["total_cents"])
    }
    assert disagree == {}, f"(status, total, payment events) that disagree: {disagree}"


async def test_the_provider_charged_no_order_twice_and_kept_what_each_order_says(
    stack: LocalStack,
) -> None:
    since = await provider_tools.ledger_since(stack)
    assert since is not None, "the provider never charged: did the other e2e tests run?"
    conn = await asyncpg.connect(stack.postgres.dsn("order"))
    try:  # the run's orders: those made since the provider's ledger began
        orders = await conn.fetch(
            "SELECT order_id, status, total_cents FROM orders WHERE status = ANY($1)"
            " AND created_at >= $2",
            ["CONFIRMED", "SHIPPED", "CANCELLED"],
            since,
        )
    finally:
        await conn.close()
    assert orders, "no finished order since the provider's ledger began"

    async def provider_agrees() -> None:  # refunds of late charges may still be settling
        at_provider = await provider_tools.ledger(stack)
        twice = {o: entry for o, entry in at_provider.items() if entry["charges"] > 1}
        assert twice == {}, f"charged more than once at the provider: {twice}"
        kept = {
            o: at_provider.get(o, {}).get("charged_cents", 0)
            - at_provider.get(o, {}).get("refunded_cents", 0)
            for o in (row["order_id"] for row in orders)
        }
        owed = {
            r["order_id"]: 0 if r["status"] == "CANCELLED" else r["total_cents"] for r in orders
        }
        disagree = {o: (kept[o], owed[o]) for o in owed if kept[o] != owed[o]}
        assert disagree == {}, f"(kept at the provider, owed by the order's state): {disagree}"
        assert sum(kept.values()) == sum(owed.values())

    await eventually(provider_agrees, within_s=60, every_s=1)
