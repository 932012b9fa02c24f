"""Storage of the read side: the `customer_orders` rows, the projection's checkpoint, its lag.

Rows are written only by `upsert`, which replaces a row only with a higher version of the same
order, so two projectors (a live one and a rebuild, or two replicas) can never move a row back.
Pages are keyset pages over (placed_at, order_id) descending, served by one index.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from workloads.order.domain.order import OrderEvent
from workloads.order.domain.summaries import OrderSummary
from workloads.shared.database import Connection

PROJECTION = "customer_orders"
_UPSERT = (
    "INSERT INTO customer_orders AS c (order_id, customer_id, status, total_cents, item_count,"
    " placed_at, cancel_reason, carrier, shipment_id, version) SELECT * FROM unnest($1::text[],"
    " $2::text[], $3::text[], $4::int[], $5::int[], $6::timestamptz[], $7::text[], $8::text[],"
    " $9::text[], $10::int[]) ON CONFLICT (order_id) DO UPDATE SET status = excluded.status,"
    " total_cents = excluded.total_cents, item_count = excluded.item_count,"
    " cancel_reason = excluded.cancel_reason, carrier = excluded.carrier,"
    " shipment_id = excluded.shipment_id, version = excluded.version"
    " WHERE c.version < excluded.version"
)
_SELECT = (
    "SELECT order_id, customer_id, status, total_cents, item_count, placed_at, cancel_reason,"
    " carrier, shipment_id, version FROM customer_orders"
)
_NEWEST = " ORDER BY placed_at DESC, order_id DESC"


async def claim_checkpoint(conn: Connection) -> int | None:
    """The watermark, locked until commit; None while another projector holds it."""
    value: int | None = await conn.fetchval(
        "SELECT tx_watermark FROM projection_checkpoints WHERE projection = $1"
        " FOR UPDATE SKIP LOCKED",
        PROJECTION,
    )
    return value


async def lock_checkpoint(conn: Connection) -> None:
    """Wait for the checkpoint (a rebuild waits for the live projector's batch to end)."""
    await conn.execute(
        "SELECT 1 FROM projection_checkpoints WHERE projection = $1 FOR UPDATE", PROJECTION
    )


async def horizon(conn: Connection) -> int:
    """The oldest transaction still running: every one below it has ended (committed or not)."""
    value: int = await conn.fetchval("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
    return value


async def touched(conn: Connection, since: int, until: int, limit: int) -> list[asyncpg.Record]:
    """(tx, order_id) of events written by transactions in [since, until), oldest first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT tx, order_id FROM order_events WHERE tx >= $1 AND tx < $2 ORDER BY tx LIMIT $3",
        since,
        until,
        limit,
    )
    return rows


async def touched_by(conn: Connection, tx: int) -> list[str]:
    """Every order a single transaction wrote events of."""
    rows = await conn.fetch("SELECT DISTINCT order_id FROM order_events WHERE tx = $1", tx)
    return [r["order_id"] for r in rows]


async def order_ids_after(conn: Connection, after: str, limit: int) -> list[str]:
    """Orders with events, by id after `after` (a rebuild's walk over the event store)."""
    rows = await conn.fetch(
        "SELECT DISTINCT order_id FROM order_events WHERE order_id > $1 ORDER BY order_id LIMIT $2",
        after,
        limit,
    )
    return [r["order_id"] for r in rows]


async def histories(conn: Connection, order_ids: Sequence[str]) -> dict[str, list[OrderEvent]]:
    """The whole stored history of each order, in order."""
    rows = await conn.fetch(
        "SELECT order_id, event_type, data FROM order_events WHERE order_id = ANY($1::text[])"
        " ORDER BY order_id, seq",
        list(order_ids),
    )
    found: dict[str, list[OrderEvent]] = {}
    for r in rows:
        found.setdefault(r["order_id"], []).append(
            OrderEvent(r["event_type"], json.loads(r["data"]))
        )
    return found


async def upsert(conn: Connection, rows: Sequence[OrderSummary]) -> None:
    """Write the summaries; a row already at that version or newer is left alone."""
    if rows:
        columns = [list(c) for c in zip(*(_values(r) for r in rows), strict=True)]
        await conn.execute(_UPSERT, *columns)


def _values(s: OrderSummary) -> tuple[object, ...]:
    return (s.order_id, s.customer_id, s.status, s.total_cents, s.item_count, s.placed_at,
            s.cancel_reason, s.carrier, s.shipment_id, s.version)  # fmt: skip


async def advance(conn: Connection, watermark: int) -> None:
    await conn.execute(
        "UPDATE projection_checkpoints SET tx_watermark = $2, updated_at = now()"
        " WHERE projection = $1",
        PROJECTION,
        watermark,
    )


async def clear(conn: Connection) -> None:
    await conn.execute("DELETE FROM customer_orders")


async def lag_s(conn: Connection) -> float:
    """Age of the oldest event not yet projected (0 when the projection has caught up)."""
    value: float = await conn.fetchval(
        "SELECT coalesce(extract(epoch FROM now() - min(e.occurred_at)), 0)::float8"
        " FROM order_events e JOIN projection_checkpoints c ON c.projection = $1"
        " WHERE e.tx >= c.tx_watermark",
        PROJECTION,
    )
    return max(value, 0.0)


async def page(
    conn: Connection, customer_id: str, *, before: tuple[datetime, str] | None, limit: int
) -> list[asyncpg.Record]:
    """Up to `limit` of the customer's orders, newest first, strictly after the cursor."""
    if before is None:
        rows: list[asyncpg.Record] = await conn.fetch(
            _SELECT + " WHERE customer_id = $1" + _NEWEST + " LIMIT $2", customer_id, limit
        )
    else:
        rows = await conn.fetch(
            _SELECT
            + " WHERE customer_id = $1 AND (placed_at, order_id) < ($2, $3)"
            + _NEWEST
            + " LIMIT $4",
            customer_id,
            before[0],
            before[1],
            limit,
        )
    return rows


async def version_of(conn: Connection, order_id: str, customer_id: str) -> int | None:
    """The version the read model shows of one of the customer's orders (None: not yet)."""
    value: int | None = await conn.fetchval(
        "SELECT version FROM customer_orders WHERE order_id = $1 AND customer_id = $2",
        order_id,
        customer_id,
    )
    return value


async def all_rows(conn: Connection) -> list[asyncpg.Record]:
    """Every row, by order id (to compare a rebuild with the live projection)."""
    rows: list[asyncpg.Record] = await conn.fetch(_SELECT + " ORDER BY order_id")
    return rows
