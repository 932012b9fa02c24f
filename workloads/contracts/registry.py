"""Which topic carries each message type, and every version of it that exists.

This is the one place a message type is bound to a topic; producers look the topic up here, the
topic declaration is checked against it, and the schema files are rendered from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from workloads.contracts import events as ev


@dataclass(frozen=True)
class MessageSpec:
    message_type: str
    topic: str
    versions: tuple[type[ev.Payload], ...]

    @property
    def latest(self) -> type[ev.Payload]:
        return self.versions[-1]

    def model(self, version: int) -> type[ev.Payload]:
        for model in self.versions:
            if model.version == version:
                return model
        raise KeyError(f"{self.message_type} has no version {version}")


_SPECS = (
    MessageSpec("OrderCreated", "orders.created", (ev.OrderCreated,)),
    MessageSpec("OrderConfirmed", "orders.confirmed", (ev.OrderConfirmedV1, ev.OrderConfirmedV2)),
    MessageSpec("OrderCancelled", "orders.failed", (ev.OrderCancelled,)),
    MessageSpec("OrderShipped", "shipping.shipped", (ev.OrderShipped, ev.OrderShippedV2)),
    MessageSpec("ReserveInventory", "inventory.commands", (ev.ReserveInventory,)),
    MessageSpec("ReleaseInventory", "inventory.commands", (ev.ReleaseInventory,)),
    MessageSpec("InventoryReserved", "inventory.reserved", (ev.InventoryReserved,)),
    MessageSpec(
        "InventoryReservationFailed",
        "inventory.reservation_failed",
        (ev.InventoryReservationFailed,),
    ),
    MessageSpec("InventoryReleased", "inventory.released", (ev.InventoryReleased,)),
    MessageSpec("ProductStocked", "inventory.products", (ev.ProductStocked,)),
    MessageSpec("ProductUpdated", "catalog.products", (ev.ProductUpdated,)),
    MessageSpec("ProcessPayment", "payments.commands", (ev.ProcessPayment,)),
    MessageSpec("RefundPayment", "payments.commands", (ev.RefundPayment,)),
    MessageSpec("PaymentCompleted", "payments.completed", (ev.PaymentCompleted,)),
    MessageSpec("PaymentFailed", "payments.failed", (ev.PaymentFailed,)),
    MessageSpec("PaymentRefunded", "payments.refunded", (ev.PaymentRefunded,)),
    MessageSpec("NotificationSent", "notifications.send", (ev.NotificationSent,)),
)

MESSAGES: dict[str, MessageSpec] = {spec.message_type: spec for spec in _SPECS}


def spec_of(message_type: str) -> MessageSpec:
    try:
        return MESSAGES[message_type]
    except KeyError:
        raise KeyError(f"unknown message type {message_type!r}") from None
