"""What payment consumes: ProcessPayment and RefundPayment commands.

Each handler runs in the consumer's transaction with its inbox claim
(`workloads.shared.messaging.consumer`); replies go out through the outbox in the same commit.
"""

from __future__ import annotations

from collections.abc import Sequence

from workloads.contracts import events as ev
from workloads.payment import handlers
from workloads.payment.settings import PaymentSettings
from workloads.shared.database import Connection
from workloads.shared.messaging.consumer import EventConsumer, Reads, Subscription
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.runtime import Runtime

CHARGE = Reads("ProcessPayment", frozenset({1}), ev.ProcessPayment)
REFUND = Reads("RefundPayment", frozenset({1}), ev.RefundPayment)
READS = {"payment": [CHARGE, REFUND]}


def build(runtime: Runtime) -> Sequence[EventConsumer]:
    settings = runtime.settings
    if not isinstance(settings, PaymentSettings):
        raise TypeError("the payment consumers need PaymentSettings")

    async def on_charge(conn: Connection, envelope: Envelope) -> None:
        command = envelope.read_as(ev.ProcessPayment)
        await handlers.charge(conn, command, cause=envelope, settings=settings)

    async def on_refund(conn: Connection, envelope: Envelope) -> None:
        await handlers.refund(conn, envelope.read_as(ev.RefundPayment), cause=envelope)

    return [
        runtime.consumer(
            "payment", [Subscription(CHARGE, on_charge), Subscription(REFUND, on_refund)]
        )
    ]
