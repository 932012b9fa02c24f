"""The catalog's HTTP shapes: what browsing returns and what an admin writes.

Price and stock are inventory's (its last `ProductStocked`, as the catalog last saw it): shown for
browsing and sorting, never an offer — the order service prices an order from inventory's word.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from workloads.shared.inputs import Text

SLUG = r"^[a-z0-9][a-z0-9-]{0,63}$"
Slug = Annotated[str, StringConstraints(pattern=SLUG)]


class ProductIn(BaseModel):
    """An admin creates or replaces a product's details (not its price or stock: inventory's)."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[Text, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    description: Annotated[Text, StringConstraints(max_length=4000)] = ""
    category: Slug
    featured: bool = False


class ProductView(BaseModel):
    """A product as browsing shows it; `price_cents`/`available` are null until inventory stocks
    it, and may trail inventory by the time its event takes to arrive."""

    product_id: str
    name: str
    description: str
    category: str
    featured: bool
    price_cents: int | None
    available: int | None
    in_stock: bool
    created_at: datetime
    updated_at: datetime


class ProductPage(BaseModel):
    """One keyset page; pass `next_cursor` back (same query) for the next, null on the last."""

    items: list[ProductView]
    next_cursor: str | None
    sort: str


class FeaturedProducts(BaseModel):
    items: list[ProductView]


class CategoryView(BaseModel):
    slug: str
    name: str
    product_count: int


class CategoryList(BaseModel):
    items: list[CategoryView]
