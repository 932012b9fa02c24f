"""`python -m workloads.notification`: run the notification service.

It is deliberately the *old* consumer of OrderConfirmed: it declares version 1 only and keeps
working while the order service produces version 2 (the schema-evolution demonstration).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI

from workloads.contracts import events as ev
from workloads.shared.database import Connection
from workloads.shared.messaging import outbox
from workloads.shared.messaging.consumer import EventConsumer, Reads, Subscription
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.runtime import Runtime, RuntimeDep, ServiceSettings, create_app, serve

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])

# The old consumer on purpose: OrderConfirmed v1 only, while the order service produces v2.
CONFIRMED = Reads("OrderConfirmed", frozenset({1}), ev.OrderConfirmedV1)
CANCELLED = Reads("OrderCancelled", frozenset({1}), ev.OrderCancelled)
READS = {"notification": [CONFIRMED, CANCELLED]}


@router.get("/{order_id}")
async def for_order(order_id: str, runtime: RuntimeDep) -> dict[str, Any]:
    rows = await runtime.pool.fetch(
        "SELECT template, channel, body FROM notifications WHERE order_id = $1 ORDER BY created_at",
        order_id,
    )
    return {"order_id": order_id, "notifications": [dict(r) for r in rows]}


async def _record(
    conn: Connection,
    envelope: Envelope,
    *,
    order_id: str,
    customer_id: str,
    template: str,
    body: str,
) -> None:
    inserted = await conn.fetchval(
        "INSERT INTO notifications (order_id, template, customer_id, channel, body)"
        " VALUES ($1, $2, $3, 'email', $4) ON CONFLICT DO NOTHING RETURNING 1",
        order_id,
        template,
        customer_id,
        body,
    )
    if inserted:
        sent = ev.NotificationSent(order_id=order_id, customer_id=customer_id, template=template)
        await outbox.append(conn, envelope.follow_up(sent), key=order_id)


def consumers(runtime: Runtime) -> Sequence[EventConsumer]:
    async def on_confirmed(conn: Connection, envelope: Envelope) -> None:
        order = envelope.read_as(ev.OrderConfirmedV1)
        body = f"Order {order.order_id} is confirmed: {order.total_cents / 100:.2f} charged."
        await _record(
            conn,
            envelope,
            order_id=order.order_id,
            customer_id=order.customer_id,
            template="order-confirmed",
            body=body,
        )

    async def on_cancelled(conn: Connection, envelope: Envelope) -> None:
        order = envelope.read_as(ev.OrderCancelled)
        body = f"Order {order.order_id} was cancelled ({order.reason})."
        await _record(
            conn,
            envelope,
            order_id=order.order_id,
            customer_id=order.customer_id,
            template="order-cancelled",
            body=body,
        )

    return [
        runtime.consumer(
            "notification",
            [Subscription(CONFIRMED, on_confirmed), Subscription(CANCELLED, on_cancelled)],
        )
    ]


def app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or ServiceSettings(service_name="notification")  # type: ignore[call-arg]
    return create_app(
        settings=settings,
        migrations=Path(__file__).parent / "migrations",
        routers=[router],
        consumers=consumers,
    )


if __name__ == "__main__":
    settings = ServiceSettings(service_name="notification")  # type: ignore[call-arg]
    serve(app(settings), settings)
