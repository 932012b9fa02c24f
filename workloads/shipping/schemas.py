"""The shipping service's HTTP shapes: a shipment, and the shipments of one order.

This shape is what the gateway aggregates into an order summary (workloads/README.md);
fields are only ever added. Timestamps are ISO 8601 strings as PostgreSQL renders them.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class ShipmentView(BaseModel):
    shipment_id: str
    order_id: str
    customer_id: str
    status: str  # SHIPPED
    carrier: str
    tracking_number: str
    item_count: int | None
    shipped_at: str = Field(json_schema_extra={"format": "date-time"})


class ShipmentList(BaseModel):
    """The shipments of one order (at most one today); empty while the order has not shipped."""

    order_id: str
    shipments: list[ShipmentView]
