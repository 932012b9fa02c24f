"""The read side's rows: a pure fold of the history, and its token and cursor at the edge."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workloads.order.domain.order import OrderEvent
from workloads.order.domain.summaries import summarise
from workloads.order.queries import _decode_cursor, _encode_cursor, _parse_token, token_for
from workloads.shared.problems import ProblemError

PLACED_AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PLACED = OrderEvent(
    "OrderPlaced",
    {
        "customer_id": "c-1",
        "lines": [{"product_id": "p", "quantity": 2, "unit_price_cents": 300}],
        "total_cents": 600,
        "card_token": "tok_visa",
        "placed_at": PLACED_AT.isoformat(),
    },
)
SHIPPED = [
    PLACED,
    OrderEvent("InventoryReserved"),
    OrderEvent("PaymentCompleted", {"payment_id": "pay"}),
    OrderEvent("OrderConfirmed"),
    OrderEvent("OrderShipped", {"carrier": "DHL", "shipment_id": "s-1"}),
]


def test_a_shipped_order_shows_its_status_carrier_shipment_and_version() -> None:
    summary = summarise("o-1", SHIPPED)
    assert summary is not None
    assert (summary.status, summary.carrier, summary.shipment_id) == ("SHIPPED", "DHL", "s-1")
    assert (summary.total_cents, summary.item_count, summary.version) == (600, 2, 5)
    assert summary.placed_at == PLACED_AT


def test_every_prefix_of_the_history_has_a_summary_of_that_version() -> None:
    versions = [summarise("o-1", SHIPPED[:n]) for n in range(1, len(SHIPPED) + 1)]
    assert [s.version for s in versions if s] == [1, 2, 3, 4, 5]
    assert [s.status for s in versions if s] == ["PENDING"] * 3 + ["CONFIRMED", "SHIPPED"]


def test_no_summary_before_the_placement() -> None:
    assert summarise("o-1", []) is None


def test_a_cancelled_order_keeps_its_reason_and_has_no_shipment() -> None:
    summary = summarise("o-1", [PLACED, OrderEvent("OrderCancelled", {"reason": "out of stock"})])
    assert summary is not None
    assert (summary.status, summary.cancel_reason, summary.shipment_id) == (
        "CANCELLED",
        "out of stock",
        None,
    )


def test_a_token_names_the_order_and_the_version_it_reached() -> None:
    order_id = "0b0b0b0b-0000-4000-8000-000000000000"
    assert _parse_token(token_for(order_id, 7)) == (order_id, 7)
    with pytest.raises(ProblemError) as refused:
        _parse_token("not-a-token")
    assert refused.value.status == 400


def test_a_cursor_round_trips_and_a_forged_one_is_a_400() -> None:
    assert _decode_cursor(_encode_cursor(PLACED_AT, "o-1")) == (PLACED_AT, "o-1")
    for forged in ("bm9wZQ", "!!", ""):
        with pytest.raises(ProblemError) as refused:
            _decode_cursor(forged)
        assert refused.value.status == 400
