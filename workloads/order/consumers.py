"""What the order service consumes: saga replies, shipments, and the product price list.

Group `order-saga` feeds replies into the saga; `order-products` keeps the local read model of
sellable products and prices, so placing an order never calls another service. Each handler runs
in the consumer's transaction with its inbox claim (`workloads.shared.messaging.consumer`).
"""

from __future__ import annotations

from collections.abc import Sequence

from workloads.contracts import events as ev
from workloads.order import handlers
from workloads.order.domain.saga import Reply
from workloads.order.settings import OrderSettings
from workloads.shared.database import Connection
from workloads.shared.messaging.consumer import EventConsumer, Reads, Subscription
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.runtime import Runtime

SAGA_READS = {
    r.message_type: r
    for r in (
        Reads("InventoryReserved", frozenset({1}), ev.InventoryReserved),
        Reads("InventoryReservationFailed", frozenset({1}), ev.InventoryReservationFailed),
        Reads("InventoryReleased", frozenset({1}), ev.InventoryReleased),
        Reads("PaymentCompleted", frozenset({1}), ev.PaymentCompleted),
        Reads("PaymentFailed", frozenset({1}), ev.PaymentFailed),
        Reads("PaymentRefunded", frozenset({1}), ev.PaymentRefunded),
        Reads("OrderShipped", frozenset({1, 2}), ev.OrderShippedV2),
    )
}
PRODUCTS_READ = Reads("ProductStocked", frozenset({1}), ev.ProductStocked)
READS = {"order-saga": list(SAGA_READS.values()), "order-products": [PRODUCTS_READ]}


def build(runtime: Runtime) -> Sequence[EventConsumer]:
    settings = runtime.settings
    if not isinstance(settings, OrderSettings):
        raise TypeError("the order consumers need OrderSettings")

    async def on_reply(conn: Connection, envelope: Envelope) -> None:
        reply: Reply = envelope.read_as(SAGA_READS[envelope.event_type].model)  # type: ignore[assignment]
        await handlers.apply_reply(
            conn, reply, cause=envelope, step_timeout_s=settings.saga_step_timeout_s
        )

    async def on_product(conn: Connection, envelope: Envelope) -> None:
        await handlers.record_product(conn, envelope.read_as(ev.ProductStocked))

    return [
        runtime.consumer("order-saga", [Subscription(r, on_reply) for r in SAGA_READS.values()]),
        runtime.consumer("order-products", [Subscription(PRODUCTS_READ, on_product)]),
    ]
