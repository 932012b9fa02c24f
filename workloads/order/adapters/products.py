"""The products the order service may sell, with prices: a local read model of inventory's.

Fed by `ProductStocked` events (compacted topic `inventory.products`), so placing an order never
calls another service; the last event per product wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from workloads.shared.database import Connection


async def prices(conn: Connection, product_ids: Sequence[str]) -> dict[str, int]:
    """Unit price in cents of each known product among `product_ids`."""
    rows = await conn.fetch(
        "SELECT product_id, price_cents FROM products WHERE product_id = ANY($1)",
        list(product_ids),
    )
    return {r["product_id"]: r["price_cents"] for r in rows}


async def record(conn: Connection, product_id: str, *, price_cents: int) -> None:
    await conn.execute(
        "INSERT INTO products (product_id, price_cents) VALUES ($1, $2)"
        " ON CONFLICT (product_id) DO UPDATE SET price_cents = $2, updated_at = now()",
        product_id,
        price_cents,
    )
