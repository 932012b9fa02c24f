"""Browsing the running catalog: search, filter, every sort, and keyset pages that stay whole.

Each test makes a category of its own, so what a listing must return is known exactly.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from operators.local.stack import LocalStack
from tests.e2e.workloads.catalog_client import CatalogClient
from tests.e2e.workloads.saga_client import SagaClient
from tests.support.eventually import eventually

NAMES = [f"{adj} {noun}" for adj in ("Amber", "Basalt", "Cedar", "Dune") for noun in
         ("Bowl", "Chair", "Kettle", "Lamp", "Mug", "Rug", "Stool", "Vase")]  # fmt: skip


@pytest.fixture
async def catalog(stack: LocalStack) -> AsyncIterator[CatalogClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield CatalogClient(stack, http)


async def walk(catalog: CatalogClient, **params: Any) -> list[dict[str, Any]]:
    """Every page of a listing, following `next_cursor`, in order."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await catalog.get("/v1/products", **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_every_sort_pages_through_the_category_in_order_without_repeats_or_gaps(
    catalog: CatalogClient, stack: LocalStack
) -> None:
    slug, ids = await catalog.category_with(NAMES)
    prices = {pid: 100 + (i * 37) % 1000 for i, pid in enumerate(ids)}
    async with httpx.AsyncClient(timeout=10) as http:
        saga = SagaClient(stack, http)
        for pid in ids[:-4]:  # the last four stay unpriced
            await saga.set_stock(pid, available=5, price_cents=prices[pid])

    async def priced() -> None:
        listed = await walk(catalog, category=slug, limit=100)
        assert sum(p["price_cents"] is not None for p in listed) == len(ids) - 4

    await eventually(priced, within_s=30, every_s=0.2)

    by_name = await walk(catalog, category=slug, sort="name", limit=5)
    assert [p["name"] for p in by_name] == sorted(NAMES)
    ascending = await walk(catalog, category=slug, sort="price_asc", limit=7)
    descending = await walk(catalog, category=slug, sort="price_desc", limit=7)
    for listed in (ascending, descending):
        assert sorted(p["product_id"] for p in listed) == sorted(ids)  # each once
        assert [p["price_cents"] for p in listed[-4:]] == [None] * 4  # unpriced last
    assert [p["price_cents"] for p in ascending[:-4]] == sorted(prices[i] for i in ids[:-4])
    assert [p["price_cents"] for p in descending[:-4]] == sorted(
        (prices[i] for i in ids[:-4]), reverse=True
    )
    newest = await walk(catalog, category=slug, sort="newest", limit=6)
    stamps = [p["created_at"] for p in newest]
    assert stamps == sorted(stamps, reverse=True)
    assert len({p["product_id"] for p in newest}) == len(ids)


async def test_pages_walked_while_products_are_inserted_repeat_nothing_and_skip_nothing(
    catalog: CatalogClient,
) -> None:
    slug, ids = await catalog.category_with(NAMES)
    seen: list[str] = []
    cursor = None
    inserted = 0
    while True:
        params = {"category": slug, "sort": "name", "limit": 4}
        page = await catalog.get("/v1/products", **params, **({"cursor": cursor} if cursor else {}))
        seen += [p["product_id"] for p in page["items"]]
        # between every two pages, a product that sorts before and one that sorts after the page
        await catalog.add(slug, {f"{slug}-new-{inserted}": f"Aardvark {inserted}"})
        await catalog.add(slug, {f"{slug}-new-{inserted + 1}": f"Zebra {inserted}"})
        inserted += 2
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)), "a product was listed twice"
    assert set(ids) <= set(seen), (
        f"products present from the start were skipped: {set(ids) - set(seen)}"
    )


async def test_a_text_search_finds_by_name_and_description_ranked_and_within_a_category(
    catalog: CatalogClient,
) -> None:
    word = f"quux{uuid.uuid4().hex[:8]}"
    slug, ids = await catalog.category_with([f"{word} Lantern", "Plain Lantern", "Plain Candle"])
    await catalog.put(ids[2], name="Plain Candle", category=slug, description=f"smells of {word}")

    async def found() -> list[str]:
        hits = await walk(catalog, q=word)
        assert [p["product_id"] for p in hits] == [ids[0], ids[2]], hits  # name outranks text
        return [p["product_id"] for p in hits]

    await eventually(found, within_s=5)
    lanterns = await walk(catalog, q="lantern", category=slug)
    assert {p["product_id"] for p in lanterns} == {ids[0], ids[1]}


async def test_bad_browse_input_is_a_problem_document_never_a_server_error(
    catalog: CatalogClient,
) -> None:
    slug, _ = await catalog.category_with(NAMES[:3])
    first = await catalog.get("/v1/products", category=slug, sort="name", limit=1)
    for params, status in (
        ({"cursor": first["next_cursor"], "sort": "price_asc"}, 400),  # another sort's cursor
        ({"cursor": "bm90LWEtY3Vyc29y"}, 400),
        ({"sort": "relevance"}, 422),  # relevance without a query
        ({"sort": "cheapest"}, 422),
        ({"limit": 0}, 422),
        ({"category": "Not A Slug"}, 422),
        ({"q": "x\x00y"}, 422),
    ):
        response = await catalog.http.get(catalog.url("/v1/products"), params=params)
        assert response.status_code == status, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json", params
    missing = await catalog.http.get(catalog.url("/v1/products/no-such-product"))
    assert missing.status_code == 404
    unknown = await catalog.http.put(
        catalog.url("/v1/products/x-1"),
        json={"name": "X", "category": "no-such-category"},
        headers={"Authorization": f"Bearer {catalog.stack.admin_token()}"},
    )
    assert unknown.status_code == 422, unknown.text
    anonymous = await catalog.http.put(
        catalog.url("/v1/products/x-1"), json={"name": "X", "category": slug}
    )
    assert anonymous.status_code == 401
