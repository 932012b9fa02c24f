"""What a shipment is and how one is made for a confirmed order: pure, no I/O.

A shipment is identified by its own id and belongs to exactly one order (the service layer keeps
one per order). The carrier and tracking number are derived from the ids, so the same order
always gets the same carrier: there is no real carrier to book here, and a deterministic choice
keeps a redelivered `OrderConfirmed` and a rebuilt history identical.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from workloads.contracts import events as ev

CARRIERS = ("DHL", "UPS", "DPD", "GLS")


@dataclass(frozen=True)
class Shipment:
    shipment_id: str
    order_id: str
    customer_id: str
    carrier: str
    tracking_number: str
    item_count: int | None

    def announced(self) -> ev.OrderShippedV2:
        """The public event that tells the order service (and anyone) the order has shipped."""
        return ev.OrderShippedV2(
            order_id=self.order_id,
            carrier=self.carrier,
            shipment_id=self.shipment_id,
            tracking_number=self.tracking_number,
        )


def for_order(order: ev.OrderConfirmedV2) -> Shipment:
    """The shipment of a confirmed order; a v1 event (no item count) ships all the same."""
    digest = hashlib.sha256(order.order_id.encode()).digest()
    shipment_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"conveyor:shipment:{order.order_id}"))
    carrier = CARRIERS[digest[0] % len(CARRIERS)]
    return Shipment(
        shipment_id=shipment_id,
        order_id=order.order_id,
        customer_id=order.customer_id,
        carrier=carrier,
        tracking_number=f"{carrier}{digest[1:7].hex().upper()}",
        item_count=order.item_count,
    )
