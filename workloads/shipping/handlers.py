"""The shipping service layer: create each order's shipment once and announce it once.

`ship` runs in the consumer's transaction with its inbox claim (a redelivered event with the same
id is dropped there). The unique `order_id` of `shipments` makes a second confirmation of the same
order (another event id) a no-op as well, and only a first insert appends `OrderShipped` to the
outbox, in the same commit; a failure rolls both back for the consumer to retry.
"""

from __future__ import annotations

import asyncpg

from workloads.contracts import events as ev
from workloads.shared.database import Connection, Pool
from workloads.shared.messaging import outbox
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.problems import ProblemError
from workloads.shipping import shipments
from workloads.shipping.schemas import ShipmentList, ShipmentView

_SELECT = (
    "SELECT shipment_id, order_id, customer_id, status, carrier, tracking_number, item_count,"
    " shipped_at FROM shipments"
)


async def ship(conn: Connection, order: ev.OrderConfirmedV2, *, cause: Envelope) -> bool:
    """Create the order's shipment and queue `OrderShipped`; False when it already shipped."""
    shipment = shipments.for_order(order)
    inserted = await conn.fetchval(
        "INSERT INTO shipments (shipment_id, order_id, customer_id, carrier, tracking_number,"
        " item_count) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1",
        shipment.shipment_id,
        shipment.order_id,
        shipment.customer_id,
        shipment.carrier,
        shipment.tracking_number,
        shipment.item_count,
    )
    if not inserted:
        return False
    await outbox.append(conn, cause.follow_up(shipment.announced()), key=shipment.order_id)
    return True


def _view(row: asyncpg.Record) -> ShipmentView:
    return ShipmentView(**{**dict(row), "shipped_at": row["shipped_at"].isoformat()})


async def get_shipment(pool: Pool, shipment_id: str) -> ShipmentView:
    """One shipment; 404 when there is none."""
    row = await pool.fetchrow(_SELECT + " WHERE shipment_id = $1", shipment_id)
    if row is None:
        raise ProblemError(404, "Shipment not found", f"No shipment {shipment_id}.")
    return _view(row)


async def for_order(pool: Pool, order_id: str) -> ShipmentList:
    """The order's shipments (none until it has shipped, or for an order that does not exist)."""
    rows = await pool.fetch(_SELECT + " WHERE order_id = $1 ORDER BY shipped_at", order_id)
    return ShipmentList(order_id=order_id, shipments=[_view(r) for r in rows])
