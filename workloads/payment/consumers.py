"""What payment consumes: ProcessPayment and RefundPayment commands."""

from __future__ import annotations

from collections.abc import Sequence

from workloads.contracts import events as ev
from workloads.payment import payments
from workloads.payment.settings import PaymentSettings
from workloads.shared.database import Connection
from workloads.shared.messaging import outbox
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
        reply = await payments.charge(conn, command, settings)
        await outbox.append(conn, envelope.follow_up(reply), key=command.order_id)

    async def on_refund(conn: Connection, envelope: Envelope) -> None:
        command = envelope.read_as(ev.RefundPayment)
        reply = await payments.refund(conn, command.order_id)
        await outbox.append(conn, envelope.follow_up(reply), key=command.order_id)

    return [
        runtime.consumer(
            "payment", [Subscription(CHARGE, on_charge), Subscription(REFUND, on_refund)]
        )
    ]
