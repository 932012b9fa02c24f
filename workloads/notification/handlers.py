"""The notification service layer: record each notification once and announce it.

`record` runs in the consumer's transaction with its inbox claim. The (order_id, template)
primary key makes a second recording of the same notification a no-op, and only a first recording
appends `NotificationSent` to the outbox, in the same commit; a failure rolls both back for the
consumer to retry.
"""

from __future__ import annotations

from workloads.contracts import events as ev
from workloads.notification.schemas import NotificationView, OrderNotifications
from workloads.notification.templates import Notification
from workloads.shared.database import Connection, Pool
from workloads.shared.messaging import outbox
from workloads.shared.messaging.envelope import Envelope


async def record(conn: Connection, notification: Notification, *, cause: Envelope) -> None:
    inserted = await conn.fetchval(
        "INSERT INTO notifications (order_id, template, customer_id, channel, body)"
        " VALUES ($1, $2, $3, 'email', $4) ON CONFLICT DO NOTHING RETURNING 1",
        notification.order_id,
        notification.template,
        notification.customer_id,
        notification.body,
    )
    if inserted:
        sent = ev.NotificationSent(
            order_id=notification.order_id,
            customer_id=notification.customer_id,
            template=notification.template,
        )
        await outbox.append(conn, cause.follow_up(sent), key=notification.order_id)


async def for_order(pool: Pool, order_id: str) -> OrderNotifications:
    """The notifications recorded for the order, oldest first (an unknown order has none)."""
    rows = await pool.fetch(
        "SELECT template, channel, body FROM notifications WHERE order_id = $1 ORDER BY created_at",
        order_id,
    )
    return OrderNotifications(
        order_id=order_id, notifications=[NotificationView(**dict(r)) for r in rows]
    )
