"""The chaos invariants on hand-built evidence: a clean run passes, each kind of damage is named."""

from __future__ import annotations

from dataclasses import replace

from loadtests.chaos import invariants
from loadtests.chaos.evidence import Effects, Evidence, OrderRecord, ProductStock, ProviderAccount
from loadtests.chaos.scenario import FaultKind, FaultWindow

T0 = 1_000_000.0


def clean() -> Evidence:
    """Two sold orders and one declined, on one product of 10 units; every book adds up."""
    sold = [
        OrderRecord(f"o{i}", T0 + i, "CONFIRMED", 2000, None, T0 + i + 1, (("p", 2),))
        for i in (1, 2)
    ]
    declined = OrderRecord("o3", T0 + 3, "CANCELLED", 1000, "payment failed: card_declined",
                           T0 + 4, (("p", 1),))  # fmt: skip
    return Evidence(
        orders=(*sold, declined),
        stock=(ProductStock("p", initial=10, available=6, held=0, committed=4),),
        provider={
            "o1": ProviderAccount(1, 2000),
            "o2": ProviderAccount(1, 2000),
        },
        effects=Effects(
            history={o: {"InventoryReserved": 1, "OrderConfirmed": 1} for o in ("o1", "o2")},
            reservations={"o1": {"committed": 1}, "o2": {"committed": 1}, "o3": {"released": 1}},
            notifications={
                "o1": ("order-confirmed",),
                "o2": ("order-confirmed",),
                "o3": ("order-cancelled",),
            },
        ),
    )


def named(evidence: Evidence) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for v in invariants.check(evidence):
        found[v.invariant] = tuple(sorted(found.get(v.invariant, ()) + v.ids))
    return found


def test_a_clean_run_breaks_no_invariant() -> None:
    assert invariants.check(clean()) == []


def test_an_order_left_pending_is_lost_and_named() -> None:
    e = clean()
    e = replace(e, orders=(*e.orders, OrderRecord("o4", T0 + 5, "PENDING")))
    assert named(e)["terminal"] == ("o4",)


def test_an_accepted_order_without_a_row_is_lost() -> None:
    e = clean()
    e = replace(e, orders=(*e.orders, OrderRecord("o5", T0 + 5, None)))
    assert named(e)["terminal"] == ("o5",)


def test_a_step_timeout_during_a_short_broker_outage_is_a_violation() -> None:
    e = clean()
    timed_out = OrderRecord("o6", T0 + 30, "CANCELLED", 0, "step timeout: RESERVING_INVENTORY",
                            T0 + 90, (("p", 1),))  # fmt: skip
    outage = FaultWindow(FaultKind.BROKER_OUTAGE, "kafka", T0 + 20, T0 + 80)
    e = replace(
        e,
        orders=(*e.orders, timed_out),
        faults=(outage,),
        effects=replace(e.effects, notifications={**e.effects.notifications,
                                                  "o6": ("order-cancelled",)}),
    )  # fmt: skip
    assert named(e) == {"outage-cancellations": ("o6",)}


def test_customer_reasons_during_an_outage_and_timeouts_outside_one_are_fine() -> None:
    outage = FaultWindow(FaultKind.DATABASE_OUTAGE, "postgres", T0, T0 + 60)
    assert invariants.customer_reason("out of stock: p")
    assert invariants.customer_reason("cancelled by customer")
    assert not invariants.customer_reason("step timeout")
    long_outage = FaultWindow(FaultKind.BROKER_OUTAGE, "kafka", T0, T0 + 600)
    e = replace(clean(), faults=(long_outage,))
    assert invariants.outage_cancellations(e) == []
    assert invariants.outage_cancellations(replace(clean(), faults=(outage,))) == []


def test_selling_more_than_was_seeded_is_oversell_and_drift() -> None:
    e = clean()
    e = replace(e, stock=(ProductStock("p", initial=3, available=0, held=0, committed=4),))
    found = named(e)
    assert found["oversell"] == ("p",)
    assert "conservation" in found
    assert invariants.oversold_units(e) == 1


def test_units_that_vanish_from_the_books_are_drift() -> None:
    e = replace(clean(), stock=(ProductStock("p", initial=10, available=5, held=0, committed=4),))
    assert invariants.stock_drift(e) == {"p": 1}
    assert named(e) == {"conservation": ("p",)}


def test_a_second_charge_at_the_provider_is_a_double_charge() -> None:
    e = clean()
    e = replace(e, provider={**e.provider, "o1": ProviderAccount(2, 4000)})
    assert invariants.double_charged(e) == ["o1"]
    assert "o1" in named(e)["money"]


def test_a_charge_for_a_cancelled_order_without_refund_breaks_the_money_books() -> None:
    e = clean()
    e = replace(e, provider={**e.provider, "o3": ProviderAccount(1, 1000)})
    assert named(e)["money"] == ("o3",)


def test_an_event_applied_twice_is_named() -> None:
    e = clean()
    history = {**e.effects.history, "o2": {"InventoryReserved": 2, "OrderConfirmed": 1}}
    e = replace(e, effects=replace(e.effects, history=history))
    assert named(e) == {"exactly-once": ("o2",)}


def test_a_missing_notification_or_a_hold_left_on_a_cancelled_order_is_named() -> None:
    e = clean()
    effects = replace(
        e.effects,
        notifications={"o1": ("order-confirmed",), "o3": ("order-cancelled",)},
        reservations={**e.effects.reservations, "o3": {"held": 1}},
    )
    assert named(replace(e, effects=effects)) == {"exactly-once": ("o2", "o3")}
