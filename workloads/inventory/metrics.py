"""The inventory's own Prometheus metrics, beside the ones every service exposes (shared).

Every replica runs the expiry pass and sets the overdue gauge from the same database, so replicas
report the same figure: aggregate it with `max`, not `sum`.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

reservations_overdue = Gauge(
    "conveyor_inventory_reservations_overdue",
    "Orders holding reservations past their TTL that inventory has not seen cancelled:"
    " kept (the order may be confirmed), awaiting a confirmation, a cancellation or a human",
)
reservations_expired = Counter(
    "conveyor_inventory_reservations_expired_total",
    "Reservations of cancelled orders released by the expiry pass",
)
