"""The browse model's pure rules: sorts, opaque keyset cursors, cache keys, what a change touches.

A listing is a query (`Listing`: text, category, sort, limit) and a position. Pages are keyset
pages: the cursor holds the last row's sort key and id, so the next page starts strictly after it
— rows inserted meanwhile neither repeat nor push others out, and the cost of a page does not grow
with its depth. The cursor is opaque to clients (url-safe base64 of JSON) and bound to its sort: a
cursor that does not decode, or belongs to another sort, is a 400, never a database error.

Cache groups say which cached views one product change can alter (`groups_touched`): the product
itself; the pages of its category, before and after a move; the pages without a category filter
(every search and the full listing: any product may enter or leave them); the featured list when it
is or was featured; the category list (with its counts) when a product is new or moved.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from workloads.contracts.events import ProductUpdated
from workloads.shared.inputs import PRODUCT_ID


class Sort(StrEnum):
    RELEVANCE = "relevance"  # needs a text query
    NAME = "name"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NEWEST = "newest"


class InvalidCursorError(ValueError):
    """The cursor does not decode, or was issued for another sort."""


@dataclass(frozen=True)
class Position:
    """The last row of a page: its sort key and id (the tie-breaker)."""

    key: str | int | float | datetime
    product_id: str


@dataclass(frozen=True)
class Listing:
    q: str | None
    category: str | None
    sort: Sort
    limit: int

    def cache_key(self, cursor: str | None) -> str:
        raw = json.dumps([self.q, self.category, self.sort, self.limit, cursor])
        return "page:" + hashlib.sha256(raw.encode()).hexdigest()[:32]

    def cache_groups(self) -> tuple[str, ...]:
        return (category_group(self.category),) if self.category else (ALL_PAGES,)


def default_sort(q: str | None) -> Sort:
    return Sort.RELEVANCE if q else Sort.NAME


def encode_cursor(sort: Sort, position: Position) -> str:
    key: Any = position.key
    kind = "t" if isinstance(key, datetime) else "v"
    value = key.isoformat() if isinstance(key, datetime) else key
    raw = json.dumps({"s": sort.value, kind: value, "id": position.product_id})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(sort: Sort, cursor: str) -> Position:
    try:
        return _position(
            sort, json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        )
    except InvalidCursorError:
        raise
    except (ValueError, KeyError, TypeError) as exc:  # binascii, JSON and Unicode errors too
        raise InvalidCursorError("the cursor is not one this service issued") from exc


def _position(sort: Sort, data: object) -> Position:
    if not isinstance(data, dict) or data.get("s") != sort.value:
        raise InvalidCursorError("the cursor belongs to another sort")
    product_id = data["id"]
    if not isinstance(product_id, str) or not re.fullmatch(PRODUCT_ID, product_id):
        raise InvalidCursorError("the cursor's id is not a product id")
    if sort is Sort.NEWEST:
        created = datetime.fromisoformat(data["t"])
        if created.tzinfo is None:
            raise InvalidCursorError("the cursor's time has no zone")
        return Position(created, product_id)
    return Position(_sort_value(sort, data["v"]), product_id)


def _sort_value(sort: Sort, value: object) -> str | int | float:
    if sort is Sort.RELEVANCE:
        fits = isinstance(value, int | float)
    elif sort in {Sort.PRICE_ASC, Sort.PRICE_DESC}:
        fits = isinstance(value, int)
    else:
        fits = isinstance(value, str) and "\x00" not in value
    if isinstance(value, bool) or not fits:
        raise InvalidCursorError(f"the cursor's key does not fit the {sort.value} sort")
    return value  # type: ignore[return-value]


# --- cache keys and groups ---------------------------------------------------------------------

ALL_PAGES = "pages:all"
FEATURED = "featured"
CATEGORIES = "categories"


def product_key(product_id: str) -> str:
    return f"product:{product_id}"


def product_group(product_id: str) -> str:
    return f"product:{product_id}"


def category_group(slug: str) -> str:
    return f"pages:category:{slug}"


def groups_touched(change: ProductUpdated) -> set[str]:
    """Every cache group whose views `change` may alter (see the module docstring)."""
    groups = {product_group(change.product_id), category_group(change.category), ALL_PAGES}
    moved = change.previous_category is not None and change.previous_category != change.category
    if moved:
        groups.add(category_group(change.previous_category or ""))
    if change.featured or change.was_featured:
        groups.add(FEATURED)
    if change.created or moved:
        groups.add(CATEGORIES)
    return groups
