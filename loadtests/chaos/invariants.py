"""The invariants every chaos scenario must keep, as pure checks over `Evidence`.

Each check returns violations that name the orders (or products) involved, so a failed run says
which ids to look at. How each is computed (ADR 0025):

- terminal: every accepted order is CONFIRMED, SHIPPED or CANCELLED (no row, PENDING,
  CANCELLING or NEEDS_ATTENTION after the bounded wait is "lost").
- outage cancellations: an order accepted during a broker or database outage shorter than two
  minutes (or in flight when it began) that ended CANCELLED must say why in customer terms: out of
  stock, card declined, or cancelled by the customer. A step timeout is the platform's fault.
- oversell: per product, units in sold orders never exceed the units it was seeded with, and
  inventory's available count never goes below zero.
- conservation: per product, available + held + committed equals the seeded units, and committed
  equals the units of sold orders (the difference is the stock drift).
- money: at the provider, charges minus refunds over the run's orders equals the sum of the sold
  orders' totals; per order, net is its total when sold and zero when cancelled; no order has more
  than one succeeded charge.
- exactly once: each event that moves an order's saga appears at most once in its history; a sold
  order's reservations are all committed and a cancelled one's none held or committed; every
  terminal order has exactly one notification, for its outcome.
"""

from __future__ import annotations

from collections import defaultdict

from loadtests.chaos.evidence import Evidence, OrderRecord
from loadtests.chaos.scenario import FaultKind, FaultWindow
from loadtests.chaos.violations import Violation

OUTAGE_KINDS = frozenset({FaultKind.BROKER_OUTAGE, FaultKind.DATABASE_OUTAGE})
SHORT_OUTAGE_S = 120.0
IN_FLIGHT_MARGIN_S = 30.0  # accepted up to one step timeout before an outage: still in its saga
CUSTOMER_REASONS = ("out of stock", "payment failed: card", "cancelled by customer")
ONCE_PER_ORDER = (
    "InventoryReserved",
    "PaymentCompleted",
    "PaymentRefunded",
    "OrderConfirmed",
    "OrderCancelled",
)
NOTIFICATION_OF = {"CONFIRMED": "order-confirmed", "SHIPPED": "order-confirmed"}
CANCELLED_NOTIFICATION = "order-cancelled"


def _violation(invariant: str, ids: list[str], detail: str) -> list[Violation]:
    return [Violation(invariant, tuple(sorted(ids)), detail)] if ids else []


def terminal(evidence: Evidence) -> list[Violation]:
    lost = [o.order_id for o in evidence.orders if not o.terminal]
    return _violation("terminal", lost, f"{len(lost)} accepted orders are not terminal (lost)")


def customer_reason(reason: str | None) -> bool:
    text = (reason or "").lower()
    return text.startswith(CUSTOMER_REASONS) or ("payment failed" in text and "declin" in text)


def _during(order: OrderRecord, window: FaultWindow) -> bool:
    ended = window.ended_at if window.ended_at is not None else float("inf")
    return window.started_at - IN_FLIGHT_MARGIN_S <= order.accepted_at <= ended


def outage_cancellations(evidence: Evidence) -> list[Violation]:
    outages = [w for w in evidence.faults if w.kind in OUTAGE_KINDS and w.seconds < SHORT_OUTAGE_S]
    bad = [
        o.order_id
        for o in evidence.orders
        if o.status == "CANCELLED"
        and not customer_reason(o.cancel_reason)
        and any(_during(o, w) for w in outages)
    ]
    reasons = sorted({o.cancel_reason or "?" for o in evidence.orders if o.order_id in bad})
    return _violation(
        "outage-cancellations", bad, f"cancelled by an outage, not the customer: {reasons}"
    )


def sold_units(orders: tuple[OrderRecord, ...]) -> dict[str, int]:
    units: dict[str, int] = defaultdict(int)
    for order in orders:
        if order.sold:
            for product, quantity in order.lines:
                units[product] += quantity
    return units


def oversell(evidence: Evidence) -> list[Violation]:
    sold = sold_units(evidence.orders)
    over = [
        p.product_id
        for p in evidence.stock
        if sold.get(p.product_id, 0) > p.initial or p.available < 0
    ]
    return _violation("oversell", over, "more units sold than seeded")


def oversold_units(evidence: Evidence) -> int:
    sold = sold_units(evidence.orders)
    return sum(
        max(0, sold.get(p.product_id, 0) - p.initial) + max(0, -p.available) for p in evidence.stock
    )


def stock_drift(evidence: Evidence) -> dict[str, int]:
    """Per product, units unaccounted for: books that do not add up, commits not matching sales."""
    sold = sold_units(evidence.orders)
    drift = {
        p.product_id: abs(p.initial - (p.available + p.held + p.committed))
        + abs(p.committed - sold.get(p.product_id, 0))
        for p in evidence.stock
    }
    return {product: units for product, units in drift.items() if units}


def conservation(evidence: Evidence) -> list[Violation]:
    drift = stock_drift(evidence)
    return _violation(
        "conservation", list(drift), f"stock + held + sold drifts by {sum(drift.values())} units"
    )


def double_charged(evidence: Evidence) -> list[str]:
    return sorted(o for o, account in evidence.provider.items() if account.charges > 1)


def money(evidence: Evidence) -> list[Violation]:
    ours = {o.order_id: o for o in evidence.orders}
    found = _violation("money", double_charged(evidence), "charged more than once at the provider")
    wrong = []
    for order in ours.values():
        net = evidence.provider.get(order.order_id)
        expected = order.total_cents if order.sold else 0
        if order.terminal and (net.net_cents if net else 0) != expected:
            wrong.append(order.order_id)
    found += _violation("money", wrong, "provider's net (charges - refunds) != order's outcome")
    charged = sum(a.net_cents for o, a in evidence.provider.items() if o in ours)
    owed = sum(o.total_cents for o in ours.values() if o.sold)
    if charged != owed:
        found.append(Violation("money", (), f"provider net {charged} != sold totals {owed} cents"))
    return found


def exactly_once(evidence: Evidence) -> list[Violation]:
    effects = evidence.effects
    repeated = [
        o.order_id
        for o in evidence.orders
        if any(effects.history.get(o.order_id, {}).get(t, 0) > 1 for t in ONCE_PER_ORDER)
    ]
    found = _violation("exactly-once", repeated, "an event applied twice to the order's history")
    misbooked = []
    notified_wrong = []
    for order in evidence.orders:
        if not order.terminal:
            continue
        held = effects.reservations.get(order.order_id, {})
        if order.sold and held.get("committed", 0) != len(order.lines):
            misbooked.append(order.order_id)
        if not order.sold and (held.get("committed", 0) or held.get("held", 0)):
            misbooked.append(order.order_id)
        want = NOTIFICATION_OF.get(order.status or "", CANCELLED_NOTIFICATION)
        if effects.notifications.get(order.order_id, ()) != (want,):
            notified_wrong.append(order.order_id)
    found += _violation("exactly-once", misbooked, "reservations do not match the outcome")
    found += _violation("exactly-once", notified_wrong, "not exactly one notification of it")
    return found


CHECKS = (terminal, outage_cancellations, oversell, conservation, money, exactly_once)


def check(evidence: Evidence) -> list[Violation]:
    return [violation for each in CHECKS for violation in each(evidence)]
