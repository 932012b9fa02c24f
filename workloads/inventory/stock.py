"""Stock and reservations, the inventory's domain. The conditional UPDATE is the guard against
overselling, so the rules are written as the SQL statements that enforce them.

`UPDATE … SET available = available - q WHERE available >= q` is atomic per row in PostgreSQL: of
two concurrent reservations for the last unit exactly one matches, whatever the isolation level.
A reservation that fails part-way rolls back to a savepoint, leaving stock as it was.

Lock order, the guard against deadlocks: product rows are locked in product id order, and before
any reservation row. One command does it by sorting its lines; a transaction that applies many
commands (a consumer batch, an expiry pass) first locks every product it will change in one sorted
statement (`lock_products`). Reservation rows of an order are changed only by the consumer of its
partition, and the expiry pass skips those locked elsewhere, so they never close a cycle.

Expiry never releases a reservation on time alone: only an order inventory has seen cancelled
(`cancelled_orders`) is released when its hold expires; any other hold past its expiry is
`overdue` — reported, kept — since its order may be confirmed in a message not applied yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from workloads.contracts import events as ev
from workloads.shared.database import Connection, savepoint


@dataclass  # not frozen: contextlib sets __traceback__ on what passes an async with
class Shortage(Exception):  # noqa: N818 - a domain outcome, not an error
    product_id: str
    reason: str


async def reserve(
    conn: Connection, order_id: str, items: list[ev.OrderLine], ttl_s: float
) -> ev.Payload:
    """Hold every line or none; returns the reply to publish."""
    seen = await conn.fetchrow(
        "SELECT EXISTS (SELECT 1 FROM released_orders WHERE order_id = $1)"
        " OR EXISTS (SELECT 1 FROM cancelled_orders WHERE order_id = $1) AS released,"
        " EXISTS (SELECT 1 FROM reservations WHERE order_id = $1) AS held",
        order_id,
    )
    if seen is not None and seen["released"]:
        return ev.InventoryReservationFailed(order_id=order_id, reason="order already released")
    if seen is not None and seen["held"]:
        return ev.InventoryReserved(order_id=order_id)  # a repeated command: same answer
    try:
        async with savepoint(conn):  # a shortage undoes earlier lines
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
    await lock_products(conn, (), releasing=[order_id])  # products before reservation rows
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


async def lock_products(
    conn: Connection,
    product_ids: Iterable[str],
    *,
    releasing: Iterable[str] = (),
    wait_s: float | None = None,
) -> None:
    """Lock, in id order and in one statement, the given products and those `releasing` orders hold.

    `FOR NO KEY UPDATE` is the lock the stock UPDATEs take, so the reservations' foreign key checks
    on the same rows (`FOR KEY SHARE`) are not blocked by it. `wait_s` lets this one statement
    wait that long for the locks (client and server), instead of the pool's statement timeout;
    the transaction's later statements keep that timeout. Lock waits here cannot deadlock (the
    global order above), so a longer wait only queues.
    """
    query = (
        "SELECT 1 FROM products WHERE product_id = ANY($1::text[])"
        " OR product_id IN (SELECT product_id FROM reservations WHERE order_id = ANY($2::text[]))"
        " ORDER BY product_id FOR NO KEY UPDATE"
    )
    products, orders = sorted(set(product_ids)), sorted(set(releasing))
    if wait_s is None:
        await conn.execute(query, products, orders)
        return
    set_bound = "SELECT set_config('statement_timeout', $1, true)"  # until the transaction ends
    bound = await conn.fetchval("SELECT current_setting('statement_timeout')")
    await conn.execute(set_bound, str(round(wait_s * 1000)))
    await conn.execute(query, products, orders, timeout=wait_s + 1.0)
    await conn.execute(set_bound, bound)


async def note_cancelled(conn: Connection, order_id: str, reason: str) -> None:
    """Remember that the order's saga cancelled it: its hold may now expire."""
    await conn.execute(
        "INSERT INTO cancelled_orders (order_id, reason) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        order_id,
        reason,
    )


async def cancelled_past_expiry(conn: Connection, limit: int) -> list[str]:
    """Orders seen cancelled that still hold a reservation past its expiry (nothing locked)."""
    rows = await conn.fetch(
        "SELECT DISTINCT r.order_id FROM reservations r JOIN cancelled_orders c USING (order_id)"
        " WHERE r.status = 'held' AND r.expires_at < now() ORDER BY r.order_id LIMIT $1",
        limit,
    )
    return [row["order_id"] for row in rows]


async def claim_expired(conn: Connection, order_ids: list[str]) -> list[str]:
    """Of `order_ids`, those still held past expiry and cancelled, with their held rows locked.

    Rows locked elsewhere are skipped (another replica's pass, or the order's consumer), and an
    order is claimed only whole: one with a held row locked elsewhere is left to the next pass,
    so the pass never waits on a reservation row another transaction holds.
    """
    rows = await conn.fetch(
        "WITH claimed AS (SELECT r.order_id FROM reservations r"
        " WHERE r.order_id = ANY($1::text[]) AND r.status = 'held' AND r.expires_at < now()"
        " AND EXISTS (SELECT 1 FROM cancelled_orders c WHERE c.order_id = r.order_id)"
        " FOR UPDATE OF r SKIP LOCKED)"
        " SELECT order_id FROM claimed GROUP BY order_id HAVING count(*) ="
        " (SELECT count(*) FROM reservations h WHERE h.order_id = claimed.order_id"
        " AND h.status = 'held')",
        order_ids,
    )
    return sorted(row["order_id"] for row in rows)


@dataclass(frozen=True)
class Overdue:
    """Orders holding stock past expiry without a cancellation: how many, and the oldest few."""

    count: int
    oldest: dict[str, datetime]  # order id -> its earliest expiry


async def overdue(conn: Connection, limit: int) -> Overdue:
    """Held reservations past expiry whose order inventory has not seen cancelled (no lock)."""
    rows = await conn.fetch(
        "SELECT r.order_id, min(r.expires_at) AS expired_at, count(*) OVER () AS total"
        " FROM reservations r"
        " WHERE r.status = 'held' AND r.expires_at < now()"
        " AND NOT EXISTS (SELECT 1 FROM cancelled_orders c WHERE c.order_id = r.order_id)"
        " GROUP BY r.order_id ORDER BY expired_at, r.order_id LIMIT $1",
        limit,
    )
    total = rows[0]["total"] if rows else 0
    return Overdue(count=total, oldest={row["order_id"]: row["expired_at"] for row in rows})
