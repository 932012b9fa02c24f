"""The catalog service layer: cached reads, writes that announce themselves, and invalidation.

Reads go through the cache (`CacheAside`): a product, a listing page, the featured list and the
category list are each one cached JSON document, loaded from PostgreSQL on a miss; a cache that
fails answers from the database (the cache module says how). Writes commit the change and its
`ProductUpdated` (outbox) together; the catalog's own consumer reads that event back and drops
exactly the cached views it touches (`invalidate`, with `browse.groups_touched`). When Redis
cannot take an invalidation, the groups are parked in the consumer's transaction and retried by
`drain_invalidations` until Redis answers; meanwhile reads bypass the open breaker.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import asyncpg

from workloads.catalog import browse, products
from workloads.catalog.schemas import (
    CategoryList,
    CategoryView,
    FeaturedProducts,
    ProductIn,
    ProductPage,
    ProductView,
)
from workloads.contracts import events as ev
from workloads.shared import metrics
from workloads.shared.cache_aside import CacheAside, CacheUnavailableError
from workloads.shared.database import Connection, Pool, transaction
from workloads.shared.messaging import outbox
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.problems import ProblemError

log = logging.getLogger(__name__)
FEATURED_LIMIT = 24


def _view(row: asyncpg.Record) -> ProductView:
    data: dict[str, Any] = {k: row[k] for k in ProductView.model_fields if k != "in_stock"}
    return ProductView(**data, in_stock=bool(row["available"]))


# --- reads -------------------------------------------------------------------------------------


async def get_product(pool: Pool, product_id: str, *, cache: CacheAside) -> ProductView:
    """One product; 404 when the catalog does not list it (absence is not cached)."""

    async def load() -> str:
        async with pool.acquire() as conn:
            row = await products.get(conn, product_id)
        if row is None:
            raise ProblemError(404, "Product not found", f"No product {product_id}.")
        return _view(row).model_dump_json()

    text = await cache.get(
        browse.product_key(product_id), load, groups=[browse.product_group(product_id)]
    )
    return ProductView.model_validate_json(text)


async def list_products(
    pool: Pool, listing: browse.Listing, cursor: str | None, *, cache: CacheAside
) -> ProductPage:
    """One keyset page of a search or category listing; 400 for a cursor not issued for it."""
    if listing.sort is browse.Sort.RELEVANCE and not listing.q:
        raise ProblemError(422, "Invalid request", "sort=relevance needs a text query (q).")
    try:
        after = None if cursor is None else browse.decode_cursor(listing.sort, cursor)
    except browse.InvalidCursorError as exc:
        raise ProblemError(400, "Invalid cursor", f"{exc}; start again without a cursor.") from exc

    async def load() -> str:
        async with pool.acquire() as conn:
            rows = await products.page(conn, listing, after)
        items, more = rows[: listing.limit], len(rows) > listing.limit
        next_cursor = None
        if more:
            last = items[-1]
            position = browse.Position(last["sort_key"], last["product_id"])
            next_cursor = browse.encode_cursor(listing.sort, position)
        page = ProductPage(
            items=[_view(r) for r in items], next_cursor=next_cursor, sort=listing.sort
        )
        return page.model_dump_json()

    text = await cache.get(listing.cache_key(cursor), load, groups=listing.cache_groups())
    return ProductPage.model_validate_json(text)


async def featured(pool: Pool, *, cache: CacheAside) -> FeaturedProducts:
    async def load() -> str:
        async with pool.acquire() as conn:
            rows = await products.featured(conn, FEATURED_LIMIT)
        return FeaturedProducts(items=[_view(r) for r in rows]).model_dump_json()

    text = await cache.get("featured", load, groups=[browse.FEATURED])
    return FeaturedProducts.model_validate_json(text)


async def categories(pool: Pool, *, cache: CacheAside) -> CategoryList:
    async def load() -> str:
        async with pool.acquire() as conn:
            rows = await products.categories(conn)
        return CategoryList(items=[CategoryView(**dict(r)) for r in rows]).model_dump_json()

    text = await cache.get("categories", load, groups=[browse.CATEGORIES])
    return CategoryList.model_validate_json(text)


# --- writes ------------------------------------------------------------------------------------


async def put_product(
    pool: Pool, product_id: str, details: ProductIn, *, correlation_id: str
) -> ProductView:
    """Create or replace a product's details and announce it; 422 for an unknown category."""
    async with transaction(pool) as conn:
        await _put(conn, product_id, details, correlation_id=correlation_id)
        row = await products.get(conn, product_id)
    if row is None:  # pragma: no cover - written in this transaction
        raise RuntimeError(f"product {product_id} vanished inside its own transaction")
    return _view(row)


async def _put(
    conn: Connection, product_id: str, details: ProductIn, *, correlation_id: str
) -> bool:
    if not await products.category_exists(conn, details.category):
        raise ProblemError(
            422, "Unknown category", f"No category {details.category}; see GET /v1/categories."
        )
    before, changed = await products.put(conn, product_id, **details.model_dump())
    if changed:
        updated = ev.ProductUpdated(
            product_id=product_id,
            category=details.category,
            previous_category=None if before is None else before["category"],
            featured=details.featured,
            was_featured=False if before is None else before["featured"],
            created=before is None,
        )
        await outbox.append(
            conn, Envelope.wrap(updated, correlation_id=correlation_id), key=product_id
        )
    return changed


async def seed(
    pool: Pool,
    categories_: Sequence[tuple[str, str]],
    catalog: Sequence[tuple[str, ProductIn]],
    *,
    correlation_id: str,
    chunk: int = 500,
) -> int:
    """Create or update categories and products; returns how many changed (0 on a rerun)."""
    async with transaction(pool) as conn:
        for slug, name in categories_:
            await products.put_category(conn, slug, name)
    changed = 0
    for start in range(0, len(catalog), chunk):
        async with transaction(pool) as conn:
            for product_id, details in catalog[start : start + chunk]:
                changed += await _put(conn, product_id, details, correlation_id=correlation_id)
    return changed


async def apply_stock(conn: Connection, stocked: ev.ProductStocked, *, cause: Envelope) -> None:
    """Inventory announced a price and stock: keep it, and announce the listed product changed."""
    row = await products.set_stock(
        conn, stocked.product_id, price_cents=stocked.price_cents, available=stocked.available
    )
    if row is None:
        return
    updated = ev.ProductUpdated(
        product_id=stocked.product_id,
        category=row["category"],
        featured=row["featured"],
        change="stock",
    )
    await outbox.append(conn, cause.follow_up(updated), key=stocked.product_id)


# --- invalidation ------------------------------------------------------------------------------


async def invalidate(conn: Connection, change: ev.ProductUpdated, *, cache: CacheAside) -> None:
    """Drop the cached views `change` touches; park them in this transaction if Redis cannot."""
    groups = browse.groups_touched(change)
    try:
        await cache.invalidate(groups)
    except CacheUnavailableError as exc:
        log.warning("cache invalidation of %s deferred: %s", change.product_id, exc)
        await products.defer_invalidations(conn, sorted(groups))
        metrics.cache_invalidations.labels(cache.name, "deferred").inc(len(groups))


async def drain_invalidations(pool: Pool, *, cache: CacheAside, limit: int = 500) -> int:
    """Apply parked invalidations once Redis answers; returns how many groups were applied."""
    async with pool.acquire() as conn:
        parked = await products.pending_invalidations(conn, limit)
        if not parked:
            return 0
        try:
            await cache.invalidate(r["cache_group"] for r in parked)
        except CacheUnavailableError:
            return 0
        await products.forget_invalidations(conn, parked)
    log.info("applied %d parked cache invalidations", len(parked))
    return len(parked)
