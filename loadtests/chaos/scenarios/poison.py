"""(9) Poison messages at a steady rate on busy topics: all end in a DLQ, good ones keep flowing.

Two kinds, alternating: bytes that are no envelope at all, and a well-formed envelope of an event
the topic's consumer reads whose payload it cannot read. Each is keyed `poison-<run>-<n>`, so
afterwards every one must be found on its topic's `<topic>.dlq` (by key). Good messages keep
flowing: that is what the load's invariants judge. Plan: the rate and how long it lasts.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from loadtests.chaos.scenario import ChaosContext, FaultKind, Scenario
from loadtests.chaos.violations import Violation
from workloads.contracts.topics import dlq_topic

# Busy topics and an event type their consumer reads there.
TOPICS = {
    "inventory.commands": "ReserveInventory",
    "payments.commands": "ProcessPayment",
    "inventory.reserved": "InventoryReserved",
    "payments.completed": "PaymentCompleted",
}


def poison(n: int, event_type: str) -> bytes:
    if n % 2 == 0:
        return b"\x00not an envelope \xff" + str(n).encode()
    envelope = {
        "event_id": str(uuid.uuid4()), "event_type": event_type, "schema_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(), "correlation_id": f"poison-{n}",
        "payload": {"order_id": 42, "unexpected": True},
    }  # fmt: skip
    return json.dumps(envelope).encode()


class PoisonMessages(Scenario):
    name = "poison"
    summary = "poison messages at a steady rate on busy topics, all dead-lettered"

    def __init__(self, *, seconds: tuple[int, int] = (20, 30)) -> None:
        self.seconds = seconds  # drawn between these (the e2e subset: a few seconds)

    def plan(self, rng: random.Random) -> dict[str, Any]:
        seconds = rng.randint(*self.seconds)
        return {"per_s": 2, "seconds": seconds, "run": f"{rng.getrandbits(32):08x}"}

    async def inject(self, ctx: ChaosContext) -> None:
        window = ctx.fault(FaultKind.DATA, ",".join(TOPICS))
        producer = AIOKafkaProducer(bootstrap_servers=ctx.stack.kafka.bootstrap_servers)
        await producer.start()
        sent: list[tuple[str, str]] = []
        try:
            for n in range(int(ctx.plan["per_s"] * ctx.plan["seconds"])):
                topic = list(TOPICS)[n % len(TOPICS)]
                key = f"poison-{ctx.plan['run']}-{n}"
                await producer.send_and_wait(topic, poison(n, TOPICS[topic]), key=key.encode())
                sent.append((topic, key))
                await ctx.hold_for(1 / ctx.plan["per_s"])
        finally:
            await producer.stop()
            ctx.notes["sent"] = sent
            ctx.end(window)

    async def heal(self, ctx: ChaosContext) -> None:
        for window in ctx.open_windows():
            ctx.end(window)

    async def verify(self, ctx: ChaosContext) -> list[Violation]:
        sent: list[tuple[str, str]] = ctx.notes.get("sent", [])
        found = await _dead_letter_keys(ctx, {dlq_topic(t) for t, _ in sent})
        missing = [key for topic, key in sent if key not in found.get(dlq_topic(topic), set())]
        if not missing:
            return []
        return [Violation("dead-lettered", tuple(missing), "poison messages not on their DLQ")]


async def _dead_letter_keys(ctx: ChaosContext, topics: set[str]) -> dict[str, set[str]]:
    """Keys on each DLQ topic, read from the start to the end offsets of now."""
    consumer = AIOKafkaConsumer(bootstrap_servers=ctx.stack.kafka.bootstrap_servers,
                                enable_auto_commit=False)  # fmt: skip
    await consumer.start()
    keys: dict[str, set[str]] = {topic: set() for topic in topics}
    try:
        parts = [TopicPartition(t, 0) for t in topics]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        while [p for p in parts if await consumer.position(p) < ends[p]]:
            batches = await asyncio.wait_for(consumer.getmany(timeout_ms=1000), 30)
            for tp, records in batches.items():
                keys[tp.topic] |= {r.key.decode() for r in records if r.key}
    finally:
        await consumer.stop()
    return keys


SCENARIO = PoisonMessages()
