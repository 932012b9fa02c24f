"""The catalog's tables: products, categories, inventory's price and stock, parked invalidations.

Listings are keyset pages (`browse.py`): `ORDER BY <sort key>, product_id` in one direction, and
`WHERE (<sort key>, product_id) > (last key, last id)` (or `<` for descending sorts), so each page
is an index range scan from where the previous one ended. Text search is PostgreSQL full text: a
stored `tsvector` (name weighted above description) with a GIN index, queried with
`websearch_to_tsquery` (quotes, `or`, `-word`), ranked by `ts_rank`. Unpriced products carry the
largest price key ascending and the smallest descending, so they come last in both price sorts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg

from workloads.catalog.browse import Listing, Position, Sort
from workloads.shared.database import Connection

COLUMNS = (
    "product_id, name, description, category, featured, price_cents, available,"
    " created_at, updated_at"
)
_SORT_KEYS: dict[Sort, tuple[str, str]] = {
    Sort.RELEVANCE: ("ts_rank(search, query)::float8", "DESC"),
    Sort.NAME: ("name", "ASC"),
    Sort.PRICE_ASC: ("price_key", "ASC"),
    Sort.PRICE_DESC: ("price_key_desc", "DESC"),
    Sort.NEWEST: ("created_at", "DESC"),
}


async def get(conn: Connection, product_id: str) -> asyncpg.Record | None:
    sql = f"SELECT {COLUMNS} FROM products WHERE product_id = $1"  # noqa: S608 - constants
    return await conn.fetchrow(sql, product_id)


async def page(conn: Connection, listing: Listing, after: Position | None) -> list[asyncpg.Record]:
    """Up to `listing.limit + 1` rows after `after` (the extra row says a next page exists)."""
    expression, direction = _SORT_KEYS[listing.sort]
    args: list[Any] = []
    sources = ["products"]
    where: list[str] = []
    if listing.q:
        args.append(listing.q)
        sources.append(f"websearch_to_tsquery('english', ${len(args)}) AS query")
        where.append("search @@ query")
    if listing.category:
        args.append(listing.category)
        where.append(f"category = ${len(args)}")
    if after is not None:
        args += [after.key, after.product_id]
        op = "<" if direction == "DESC" else ">"
        where.append(f"({expression}, product_id) {op} (${len(args) - 1}, ${len(args)})")
    args.append(listing.limit + 1)
    # Only constants and placeholders ($n) are formatted in; values travel as arguments.
    sql = (
        f"SELECT {COLUMNS}, {expression} AS sort_key FROM {', '.join(sources)}"  # noqa: S608
        f" {'WHERE ' + ' AND '.join(where) if where else ''}"
        f" ORDER BY {expression} {direction}, product_id {direction} LIMIT ${len(args)}"
    )
    return list(await conn.fetch(sql, *args))


async def featured(conn: Connection, limit: int) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            f"SELECT {COLUMNS} FROM products WHERE featured"  # noqa: S608 - constants
            " ORDER BY created_at DESC, product_id DESC LIMIT $1",
            limit,
        )
    )


async def categories(conn: Connection) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "SELECT c.slug, c.name, count(p.product_id) AS product_count FROM categories c"
            " LEFT JOIN products p ON p.category = c.slug GROUP BY c.slug, c.name ORDER BY c.slug"
        )
    )


async def category_exists(conn: Connection, slug: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM categories WHERE slug = $1", slug))


async def put_category(conn: Connection, slug: str, name: str) -> bool:
    """Create or rename a category; True when something changed."""
    status = await conn.execute(
        "INSERT INTO categories (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO UPDATE"
        " SET name = EXCLUDED.name WHERE categories.name <> EXCLUDED.name",
        slug,
        name,
    )
    return bool(status.endswith(" 1"))


async def put(
    conn: Connection, product_id: str, *, name: str, description: str, category: str, featured: bool
) -> tuple[asyncpg.Record | None, bool]:
    """Create or replace a product's details: (its row before, whether anything changed).

    Locks the row, so concurrent writes of one product are applied one after the other. A new
    product takes inventory's price and stock if inventory has announced them already.
    """
    before = await conn.fetchrow(
        "SELECT category, featured, name, description FROM products"
        " WHERE product_id = $1 FOR UPDATE",
        product_id,
    )
    if before is None:
        await conn.execute(
            "INSERT INTO products (product_id, name, description, category, featured,"
            " price_cents, available) SELECT $1, $2, $3, $4, $5, s.price_cents, s.available"
            " FROM (SELECT 1) one LEFT JOIN stock_levels s ON s.product_id = $1",
            product_id,
            name,
            description,
            category,
            featured,
        )
        return None, True
    if tuple(before) == (category, featured, name, description):
        return before, False
    await conn.execute(
        "UPDATE products SET name = $2, description = $3, category = $4, featured = $5,"
        " updated_at = clock_timestamp() WHERE product_id = $1",
        product_id,
        name,
        description,
        category,
        featured,
    )
    return before, True


async def set_stock(
    conn: Connection, product_id: str, *, price_cents: int, available: int
) -> asyncpg.Record | None:
    """Keep inventory's announcement; the listed product's row if its price or stock changed."""
    await conn.execute(
        "INSERT INTO stock_levels (product_id, price_cents, available) VALUES ($1, $2, $3)"
        " ON CONFLICT (product_id) DO UPDATE SET price_cents = EXCLUDED.price_cents,"
        " available = EXCLUDED.available, updated_at = now()",
        product_id,
        price_cents,
        available,
    )
    row: asyncpg.Record | None = await conn.fetchrow(
        "UPDATE products SET price_cents = $2, available = $3, updated_at = clock_timestamp()"
        " WHERE product_id = $1"
        " AND (price_cents, available) IS DISTINCT FROM ($2::integer, $3::integer)"
        " RETURNING product_id, category, featured",
        product_id,
        price_cents,
        available,
    )
    return row


# --- invalidations Redis could not take ------------------------------------------------------


async def defer_invalidations(conn: Connection, groups: Iterable[str]) -> None:
    """Park groups; a group parked again restarts its clock, so a drain running now keeps it."""
    await conn.executemany(
        "INSERT INTO pending_invalidations (cache_group) VALUES ($1)"
        " ON CONFLICT (cache_group) DO UPDATE SET since = clock_timestamp()",
        [(g,) for g in groups],
    )


async def pending_invalidations(conn: Connection, limit: int) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            "SELECT cache_group, since FROM pending_invalidations ORDER BY since LIMIT $1", limit
        )
    )


async def forget_invalidations(conn: Connection, applied: Sequence[asyncpg.Record]) -> None:
    """Drop the parked groups applied, unless parked again since they were read."""
    await conn.execute(
        "DELETE FROM pending_invalidations p USING unnest($1::text[], $2::timestamptz[]) a(g, s)"
        " WHERE p.cache_group = a.g AND p.since = a.s",
        [r["cache_group"] for r in applied],
        [r["since"] for r in applied],
    )
