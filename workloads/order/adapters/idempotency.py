"""Idempotency keys of order placement: one key, one request body, one order, forever.

The key row is inserted in the placement's own transaction, so an order exists iff its key does.
`ON CONFLICT … DO UPDATE` (a no-op update) makes a concurrent second request with the same key
wait for the first to commit and then see its row, instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass

from workloads.shared.database import Connection


@dataclass(frozen=True)
class Claim:
    order_id: str  # the new order's id, or the first request's when replayed
    request_hash: str  # of the request that first used the key
    replayed: bool  # the key was used before


async def claim(conn: Connection, key: str, *, request_hash: str, order_id: str) -> Claim | None:
    """Take `key` for a new order `order_id`, or learn which order it already belongs to."""
    row = await conn.fetchrow(
        "INSERT INTO idempotency_keys (key, request_hash, order_id) VALUES ($1, $2, $3)"
        " ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key"
        " RETURNING request_hash, order_id, (xmax <> 0) AS replayed",
        key,
        request_hash,
        order_id,
    )
    if row is None:
        return None  # cannot happen with RETURNING; the caller answers 500
    return Claim(
        order_id=row["order_id"], request_hash=row["request_hash"], replayed=row["replayed"]
    )
