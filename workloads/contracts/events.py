"""Payload models of every event (past tense) and command (imperative), one class per version.

Models ignore unknown fields on purpose: that is what lets a consumer built for version 1 read a
version 2 payload. Strictness belongs at the HTTP edge, not between services.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field


class Payload(BaseModel):
    """Base of every message payload; `message_type` and `version` name its schema file."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    message_type: ClassVar[str]
    version: ClassVar[int] = 1


class OrderLine(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    product_id: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=1000)


class PricedOrderLine(OrderLine):
    unit_price_cents: int = Field(ge=0)


# --- order -----------------------------------------------------------------------------------


class OrderCreated(Payload):
    message_type = "OrderCreated"
    order_id: str
    customer_id: str
    items: list[PricedOrderLine]
    total_cents: int = Field(ge=0)


class OrderConfirmedV1(Payload):
    message_type = "OrderConfirmed"
    order_id: str
    customer_id: str
    total_cents: int = Field(ge=0)


class OrderConfirmedV2(OrderConfirmedV1):
    """v2 adds the number of units, so notifications can say "your 3 items"; optional by rule."""

    version = 2
    item_count: int | None = None


class OrderCancelled(Payload):
    message_type = "OrderCancelled"
    order_id: str
    customer_id: str
    reason: str


class OrderShipped(Payload):
    message_type = "OrderShipped"
    order_id: str
    carrier: str | None = None


class OrderShippedV2(OrderShipped):
    """v2 names the shipment, so a reader can fetch it (`GET /v1/shipments/{id}`); optional."""

    version = 2
    shipment_id: str | None = None
    tracking_number: str | None = None


# --- inventory -------------------------------------------------------------------------------


class ReserveInventory(Payload):
    message_type = "ReserveInventory"
    order_id: str
    items: list[OrderLine]


class ReleaseInventory(Payload):
    message_type = "ReleaseInventory"
    order_id: str


class InventoryReserved(Payload):
    message_type = "InventoryReserved"
    order_id: str


class InventoryReservationFailed(Payload):
    message_type = "InventoryReservationFailed"
    order_id: str
    reason: str
    product_id: str | None = None


class InventoryReleased(Payload):
    message_type = "InventoryReleased"
    order_id: str
    released_units: int = Field(ge=0)


class ProductStocked(Payload):
    message_type = "ProductStocked"
    product_id: str
    price_cents: int = Field(ge=0)
    available: int = Field(ge=0)


# --- catalog ---------------------------------------------------------------------------------


class ProductUpdated(Payload):
    """A catalog product changed (its details, or the price and stock inventory announced).

    Carries what a reader needs to find every cached view the change touches: the product, its
    category now and before, whether it is (or was) featured, and whether it is new.
    """

    message_type = "ProductUpdated"
    product_id: str
    category: str
    previous_category: str | None = None
    featured: bool = False
    was_featured: bool = False
    created: bool = False
    change: str = "details"  # "details" (an admin write) or "stock" (inventory's price/stock)


# --- payment ---------------------------------------------------------------------------------


class ProcessPayment(Payload):
    message_type = "ProcessPayment"
    order_id: str
    customer_id: str
    amount_cents: int = Field(ge=0)
    card_token: str


class RefundPayment(Payload):
    message_type = "RefundPayment"
    order_id: str


class PaymentCompleted(Payload):
    message_type = "PaymentCompleted"
    order_id: str
    payment_id: str
    amount_cents: int = Field(ge=0)


class PaymentFailed(Payload):
    message_type = "PaymentFailed"
    order_id: str
    reason: str


class PaymentRefunded(Payload):
    message_type = "PaymentRefunded"
    order_id: str
    amount_cents: int = Field(ge=0)


# --- notification ----------------------------------------------------------------------------


class NotificationSent(Payload):
    message_type = "NotificationSent"
    order_id: str
    customer_id: str
    template: str
    channel: str = "email"
