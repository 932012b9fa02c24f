"""What payment consumes: ProcessPayment and RefundPayment commands.

Each handler runs in the consumer's transaction with its inbox claim
(`workloads.shared.messaging.consumer`) and only records an intent (or an immediate reply through
the outbox) in that commit; the provider is called later by the settlement job (`jobs.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

from workloads.contracts import events as ev
from workloads.payment import handlers
from workloads.shared.database import Connection
from workloads.shared.messaging.consumer import EventConsumer, Reads, Subscription
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.runtime import Runtime

CHARGE = Reads("ProcessPayment", frozenset({1}), ev.ProcessPayment)
REFUND = Reads("RefundPayment", frozenset({1}), ev.RefundPayment)
READS = {"payment": [CHARGE, REFUND]}


def build(runtime: Runtime) -> Sequence[EventConsumer]:
    async def on_charge(conn: Connection, envelope: Envelope) -> None:
        await handlers.charge(conn, envelope.read_as(ev.ProcessPayment), cause=envelope)

    async def on_refund(conn: Connection, envelope: Envelope) -> None:
        await handlers.refund(conn, envelope.read_as(ev.RefundPayment), cause=envelope)

    return [
        runtime.consumer(
            "payment", [Subscription(CHARGE, on_charge), Subscription(REFUND, on_refund)]
        )
    ]
