"""A shipment is made from a confirmed order deterministically, and announced as OrderShipped v2."""

from __future__ import annotations

from workloads.contracts import events as ev
from workloads.shipping.shipments import CARRIERS, for_order

ORDER = ev.OrderConfirmedV2(order_id="o-1", customer_id="c-1", total_cents=500, item_count=3)


def test_the_same_order_always_gets_the_same_shipment() -> None:
    assert for_order(ORDER) == for_order(ORDER)
    other = ORDER.model_copy(update={"order_id": "o-2"})
    assert for_order(ORDER).shipment_id != for_order(other).shipment_id


def test_the_shipment_names_a_known_carrier_and_a_tracking_number_of_it() -> None:
    shipment = for_order(ORDER)
    assert shipment.carrier in CARRIERS
    assert shipment.tracking_number.startswith(shipment.carrier)
    assert (shipment.customer_id, shipment.item_count) == ("c-1", 3)


def test_a_v1_confirmation_without_an_item_count_ships_all_the_same() -> None:
    v1 = ev.OrderConfirmedV2.model_validate({"order_id": "o", "customer_id": "c", "total_cents": 1})
    assert for_order(v1).item_count is None


def test_the_announcement_is_order_shipped_v2_with_the_shipment() -> None:
    shipment = for_order(ORDER)
    shipped = shipment.announced()
    assert (shipped.message_type, shipped.version) == ("OrderShipped", 2)
    assert (shipped.order_id, shipped.shipment_id) == ("o-1", shipment.shipment_id)
    old_reader = ev.OrderShipped.model_validate(shipped.model_dump())  # v1 readers still read it
    assert old_reader.carrier == shipment.carrier
