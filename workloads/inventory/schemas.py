"""The inventory service's HTTP shapes: a product's stock as readers see it, and the admin's."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from workloads.shared import inputs

PRODUCT_ID = inputs.PRODUCT_ID  # defined once for every service; handlers.py checks it


class StockIn(BaseModel):
    """The admin sets a product's sellable units and its price (both absolute)."""

    model_config = ConfigDict(extra="forbid")
    available: int = Field(ge=0, le=10_000_000)
    price_cents: int = Field(ge=0, le=100_000_000)


class StockLevel(BaseModel):
    """What the admin set, echoed back."""

    product_id: str
    available: int
    price_cents: int


class StockView(BaseModel):
    """A product's stock: units still sellable, and units held by orders not yet confirmed."""

    product_id: str
    available: int
    price_cents: int
    held: int
