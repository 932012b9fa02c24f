"""What shipping consumes: confirmed orders, each turned into one shipment.

It reads `OrderConfirmed` v1 and v2 (v2's item count is kept when present). The handler runs in
the consumer's transaction with its inbox claim (`workloads.shared.messaging.consumer`), so a
redelivery is a no-op, and a failure is retried, then dead-lettered to `orders.confirmed.dlq`.
"""

from __future__ import annotations

from collections.abc import Sequence

from workloads.contracts import events as ev
from workloads.shared.database import Connection
from workloads.shared.messaging.consumer import EventConsumer, Reads, Subscription
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.runtime import Runtime
from workloads.shipping import handlers

CONFIRMED = Reads("OrderConfirmed", frozenset({1, 2}), ev.OrderConfirmedV2)
READS = {"shipping": [CONFIRMED]}


def build(runtime: Runtime) -> Sequence[EventConsumer]:
    async def on_confirmed(conn: Connection, envelope: Envelope) -> None:
        await handlers.ship(conn, envelope.read_as(ev.OrderConfirmedV2), cause=envelope)

    return [runtime.consumer("shipping", [Subscription(CONFIRMED, on_confirmed)])]
