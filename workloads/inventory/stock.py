"""Stock and reservations, the inventory's domain. The conditional UPDATE is the guard against
overselling, so the rules are written as the SQL statements that enforce them.

`UPDATE … SET available = available - q WHERE available >= q` is atomic per row in PostgreSQL: of
two concurrent reservations for the last unit exactly one matches, whatever the isolation level.
Products are locked in id order, so two multi-item reservations cannot deadlock. A reservation
that fails part-way rolls back to a savepoint, leaving stock as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from workloads.contracts import events as ev
from workloads.shared.database import Connection


@dataclass(frozen=True)
class Shortage(Exception):  # noqa: N818 - a domain outcome, not an error
    product_id: str
    reason: str


async def reserve(
    conn: Connection, order_id: str, items: list[ev.OrderLine], ttl_s: float
) -> ev.Payload:
    """Hold every line or none; returns the reply to publish."""
    seen = await conn.fetchrow(
        "SELECT EXISTS (SELECT 1 FROM released_orders WHERE order_id = $1) AS released,"
        " EXISTS (SELECT 1 FROM reservations WHERE order_id = $1) AS held",
        order_id,
    )
    if seen is not None and seen["released"]:
        return ev.InventoryReservationFailed(order_id=order_id, reason="order already released")
    if seen is not None and seen["held"]:
        return ev.InventoryReserved(order_id=order_id)  # a repeated command: same answer
    try:
        async with conn.transaction():  # savepoint: a shortage undoes earlier lines
            for line in sorted(items, key=lambda i: i.product_id):
                await _take(conn, order_id, line, ttl_s)
    except Shortage as shortage:
        return ev.InventoryReservationFailed(
            order_id=order_id, reason=shortage.reason, product_id=shortage.product_id
        )
    return ev.InventoryReserved(order_id=order_id)


async def _take(conn: Connection, order_id: str, line: ev.OrderLine, ttl_s: float) -> None:
    left = await conn.fetchval(
        "UPDATE products SET available = available - $2, updated_at = now()"
        " WHERE product_id = $1 AND available >= $2 RETURNING available",
        line.product_id,
        line.quantity,
    )
    if left is None:
        exists = await conn.fetchval(
            "SELECT 1 FROM products WHERE product_id = $1", line.product_id
        )
        raise Shortage(line.product_id, "insufficient stock" if exists else "unknown product")
    await conn.execute(
        "INSERT INTO reservations (order_id, product_id, quantity, status, expires_at)"
        " VALUES ($1, $2, $3, 'held', now() + make_interval(secs => $4))",
        order_id,
        line.product_id,
        line.quantity,
        ttl_s,
    )


async def release(conn: Connection, order_id: str) -> ev.InventoryReleased:
    """Give back whatever the order holds (held or committed); remember the order is released."""
    rows = await conn.fetch(
        "UPDATE reservations SET status = 'released' WHERE order_id = $1"
        " AND status IN ('held', 'committed') RETURNING product_id, quantity",
        order_id,
    )
    for row in sorted(rows, key=lambda r: r["product_id"]):
        await conn.execute(
            "UPDATE products SET available = available + $2, updated_at = now()"
            " WHERE product_id = $1",
            row["product_id"],
            row["quantity"],
        )
    await conn.execute(
        "INSERT INTO released_orders (order_id) VALUES ($1) ON CONFLICT DO NOTHING", order_id
    )
    return ev.InventoryReleased(order_id=order_id, released_units=sum(r["quantity"] for r in rows))


async def commit(conn: Connection, order_id: str) -> None:
    """A confirmed order's reservation stops expiring."""
    await conn.execute(
        "UPDATE reservations SET status = 'committed' WHERE order_id = $1 AND status = 'held'",
        order_id,
    )


async def level(conn: Connection, product_id: str) -> asyncpg.Record | None:
    """Available, price and held units of one product; None when it is unknown."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT p.product_id, p.available, p.price_cents,"
        " coalesce(sum(r.quantity) FILTER (WHERE r.status = 'held'), 0) AS held"
        " FROM products p LEFT JOIN reservations r USING (product_id)"
        " WHERE p.product_id = $1 GROUP BY p.product_id",
        product_id,
    )
    return row


async def set_level(conn: Connection, product_id: str, *, available: int, price_cents: int) -> None:
    """Create the product or overwrite its available units and price (held units stay held)."""
    await conn.execute(
        "INSERT INTO products (product_id, price_cents, available) VALUES ($1, $2, $3)"
        " ON CONFLICT (product_id) DO UPDATE SET price_cents = $2, available = $3,"
        " updated_at = now()",
        product_id,
        price_cents,
        available,
    )


async def claim_expired(conn: Connection, limit: int) -> list[str]:
    """Orders holding a reservation past its expiry, locked; rows locked elsewhere are skipped."""
    rows = await conn.fetch(
        "SELECT order_id FROM reservations WHERE status = 'held' AND expires_at < now()"
        " LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit,
    )
    return sorted({row["order_id"] for row in rows})
