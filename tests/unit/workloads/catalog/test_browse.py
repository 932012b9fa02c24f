"""Cursors round-trip and refuse what they did not issue; a change names every view it touches."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from workloads.catalog import browse
from workloads.catalog.browse import Position, Sort
from workloads.contracts.events import ProductUpdated


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        (Sort.NAME, "Compact Oak Side Table"),
        (Sort.PRICE_ASC, 1999),
        (Sort.PRICE_DESC, 2147483647),
        (Sort.RELEVANCE, 0.0607927106320858),
        (Sort.NEWEST, datetime(2026, 12, 2, 1, 2, 3, 456789, tzinfo=UTC)),
    ],
)
def test_a_cursor_decodes_to_the_position_it_was_made_from(sort: Sort, key: object) -> None:
    position = Position(key, "seed-kitchen-00042")  # type: ignore[arg-type]
    assert browse.decode_cursor(sort, browse.encode_cursor(sort, position)) == position


def _forge(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        (Sort.NAME, "not-base64-json"),
        (Sort.NAME, _forge(["a list"])),
        (Sort.PRICE_ASC, browse.encode_cursor(Sort.NAME, Position("x", "p-1"))),  # another sort
        (Sort.PRICE_ASC, _forge({"s": "price_asc", "v": "9", "id": "p-1"})),  # key of a wrong type
        (Sort.PRICE_ASC, _forge({"s": "price_asc", "v": True, "id": "p-1"})),
        (Sort.NAME, _forge({"s": "name", "v": "a\x00b", "id": "p-1"})),  # NUL for PostgreSQL
        (Sort.NAME, _forge({"s": "name", "v": "a", "id": "p 1; --"})),  # not a product id
        (Sort.NEWEST, _forge({"s": "newest", "t": "2026-12-02T01:02:03", "id": "p-1"})),  # no zone
        (Sort.NEWEST, _forge({"s": "newest", "t": "yesterday", "id": "p-1"})),
        (Sort.NEWEST, _forge({"s": "newest", "v": "x", "id": "p-1"})),
    ],
)
def test_a_cursor_it_did_not_issue_for_this_sort_is_refused(sort: Sort, cursor: str) -> None:
    with pytest.raises(browse.InvalidCursorError):
        browse.decode_cursor(sort, cursor)


def test_a_details_change_touches_the_product_its_category_pages_and_unfiltered_pages() -> None:
    change = ProductUpdated(product_id="p-1", category="garden")
    assert browse.groups_touched(change) == {"product:p-1", "pages:category:garden", "pages:all"}


def test_a_move_touches_both_categories_and_the_category_list() -> None:
    change = ProductUpdated(product_id="p-1", category="garden", previous_category="tools")
    assert browse.groups_touched(change) == {
        "product:p-1",
        "pages:category:garden",
        "pages:category:tools",
        "pages:all",
        "categories",
    }


def test_featured_now_or_before_touches_the_featured_list_and_a_new_product_the_counts() -> None:
    unfeatured = ProductUpdated(product_id="p-1", category="garden", was_featured=True)
    assert browse.FEATURED in browse.groups_touched(unfeatured)
    created = ProductUpdated(product_id="p-2", category="garden", created=True, featured=True)
    assert {browse.FEATURED, browse.CATEGORIES} <= browse.groups_touched(created)


def test_pages_are_filed_under_their_category_or_under_the_unfiltered_group() -> None:
    by_category = browse.Listing(None, "garden", Sort.NAME, 20)
    searched = browse.Listing("oak", None, Sort.RELEVANCE, 20)
    assert by_category.cache_groups() == ("pages:category:garden",)
    assert searched.cache_groups() == ("pages:all",)
    assert by_category.cache_key(None) != by_category.cache_key("c")
