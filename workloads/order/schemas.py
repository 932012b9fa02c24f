"""The order service's HTTP shapes: what a client sends and what it gets back.

Requests are strict (unknown fields are a 422); responses are built from the event store and the
read model by the service layer (`handlers.py`), never by serialising storage rows directly.
Timestamps are ISO 8601 strings as PostgreSQL's values render them (`+00:00`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workloads.shared.inputs import ProductId, Text


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: ProductId
    quantity: int = Field(gt=0, le=1000)


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    card_token: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: Text = Field(min_length=1, max_length=64)
    items: list[LineIn] = Field(min_length=1, max_length=50)
    payment: PaymentIn

    @field_validator("items")
    @classmethod
    def _distinct_products(cls, items: list[LineIn]) -> list[LineIn]:
        ids = [item.product_id for item in items]
        if len(ids) != len(set(ids)):
            raise ValueError("each product may appear once; add up the quantities")
        return items


class OrderAccepted(BaseModel):
    """A placement or a cancellation was accepted; the saga goes on in the background.

    `consistency_token`: pass it to `GET /v1/customers/{id}/orders` to read this write back.
    """

    order_id: str
    status: str
    consistency_token: str


class OrderLineView(BaseModel):
    product_id: str
    quantity: int
    unit_price_cents: int


class OrderView(BaseModel):
    """The order as its read model has it now."""

    order_id: str
    customer_id: str
    status: str
    saga_step: str | None
    items: list[OrderLineView]
    total_cents: int
    cancel_reason: str | None
    # Why the order is NEEDS_ATTENTION (a compensation nobody acknowledged); None otherwise.
    attention_reason: str | None = None
    version: int
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    updated_at: str = Field(json_schema_extra={"format": "date-time"})


class OrderEventView(BaseModel):
    """One fact of the order's history; payment instruments come back as `[redacted]`."""

    seq: int
    type: str
    data: dict[str, Any]
    occurred_at: str = Field(json_schema_extra={"format": "date-time"})


class OrderHistory(BaseModel):
    order_id: str
    events: list[OrderEventView]


class CustomerOrderView(BaseModel):
    """One line of a customer's order list (the read model, ADR 0035)."""

    order_id: str
    status: str
    total_cents: int
    item_count: int
    placed_at: str = Field(json_schema_extra={"format": "date-time"})
    cancel_reason: str | None
    carrier: str | None
    shipment_id: str | None
    version: int


class CustomerOrders(BaseModel):
    """A page of the customer's orders, newest first; `next_cursor` is None on the last page."""

    customer_id: str
    orders: list[CustomerOrderView]
    next_cursor: str | None
