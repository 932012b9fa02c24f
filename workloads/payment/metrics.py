"""The payment service's business metrics, recorded once the settlement's transaction committed.

`conveyor_payments_total{operation, outcome}` counts settled intents (charge: charged, declined,
rejected; refund: refunded, nothing_to_refund); `conveyor_payment_amount_cents_total{operation}`
sums the money that moved (charged or refunded cents). An intent settled by another claimer
(`settled_elsewhere`) is counted by that one only.
"""

from __future__ import annotations

from prometheus_client import Counter

settled = Counter(
    "conveyor_payments_total", "Payment intents settled, by outcome", ["operation", "outcome"]
)
amount_cents = Counter(
    "conveyor_payment_amount_cents_total",
    "Money moved at the card provider, in cents (charged or refunded)",
    ["operation"],
)
