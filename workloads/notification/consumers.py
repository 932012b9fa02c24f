"""What notification consumes: order outcomes, each turned into one recorded notification.

It is deliberately the *old* consumer of OrderConfirmed: it declares version 1 only and keeps
working while the order service produces version 2 (the schema-evolution demonstration). Each
handler runs in the consumer's transaction with its inbox claim
(`workloads.shared.messaging.consumer`).
"""

from __future__ import annotations

from collections.abc import Sequence

from workloads.contracts import events as ev
from workloads.notification import handlers, templates
from workloads.shared.database import Connection
from workloads.shared.flags.names import CONFIRMATION_V2
from workloads.shared.messaging.consumer import EventConsumer, Reads, Subscription
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.runtime import Runtime

# The old consumer on purpose: OrderConfirmed v1 only, while the order service produces v2.
CONFIRMED = Reads("OrderConfirmed", frozenset({1}), ev.OrderConfirmedV1)
CANCELLED = Reads("OrderCancelled", frozenset({1}), ev.OrderCancelled)
READS = {"notification": [CONFIRMED, CANCELLED]}


def build(runtime: Runtime) -> Sequence[EventConsumer]:
    async def on_confirmed(conn: Connection, envelope: Envelope) -> None:
        order = envelope.read_as(ev.OrderConfirmedV1)
        # A gradual rollout: the flag's fractional rule picks customers by their id, so one
        # customer always gets the same text while the share grows.
        v2 = runtime.flags.enabled(CONFIRMATION_V2, targeting_key=order.customer_id)
        notification = templates.order_confirmed(order, v2=v2)
        await handlers.record(conn, notification, cause=envelope)

    async def on_cancelled(conn: Connection, envelope: Envelope) -> None:
        notification = templates.order_cancelled(envelope.read_as(ev.OrderCancelled))
        await handlers.record(conn, notification, cause=envelope)

    return [
        runtime.consumer(
            "notification",
            [Subscription(CONFIRMED, on_confirmed), Subscription(CANCELLED, on_cancelled)],
        )
    ]
