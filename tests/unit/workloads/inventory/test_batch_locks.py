"""What a batch of inventory commands will lock, read ahead of applying it."""

from __future__ import annotations

import pytest

from workloads.contracts import events as ev
from workloads.inventory.consumers import touched
from workloads.shared.messaging.envelope import Envelope, PoisonMessageError


def _wrap(payload: ev.Payload) -> Envelope:
    return Envelope.wrap(payload, correlation_id="batch")


def _reserve(order_id: str, *products: str) -> Envelope:
    lines = [ev.OrderLine(product_id=p, quantity=1) for p in products]
    return _wrap(ev.ReserveInventory(order_id=order_id, items=lines))


def test_a_batch_locks_every_product_it_reserves_and_every_order_it_releases() -> None:
    batch = [
        _reserve("o1", "sku-c", "sku-a"),
        _wrap(ev.ReleaseInventory(order_id="o0")),
        _wrap(ev.OrderConfirmedV2(order_id="o2", customer_id="c", total_cents=1, item_count=1)),
        _reserve("o3", "sku-b", "sku-a"),
        _wrap(ev.OrderCancelled(order_id="o4", customer_id="c", reason="r")),
    ]
    assert touched(batch) == ({"sku-a", "sku-b", "sku-c"}, {"o0"})


def test_a_batch_of_outcomes_only_locks_nothing() -> None:
    confirmed = ev.OrderConfirmedV1(order_id="o", customer_id="c", total_cents=1)
    assert touched([_wrap(confirmed)]) == (set(), set())


def test_a_command_that_does_not_read_fails_the_look_ahead_like_the_batch() -> None:
    broken = _reserve("o1", "sku-a").model_copy(update={"payload": {"order_id": "o1"}})
    with pytest.raises(PoisonMessageError):
        touched([broken])
