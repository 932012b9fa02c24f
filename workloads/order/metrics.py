"""The order saga's own Prometheus metrics, beside the shared ones (`workloads.shared.metrics`).

`conveyor_saga_needs_attention` is the one to alert on: any value above zero is an order whose
compensation nobody acknowledged (or that the sweeper cannot handle), waiting for a person.
`conveyor_saga_open_oldest_age_seconds` is the saga-completion SLI's input (observability/slos/
checkout.yaml): the age of the oldest order still open, from the order database, so an order that
never ends is seen (the outcome counters only see sagas that ended). Every replica reads the same
database, so both gauges are the same on every replica: read them with max().
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

needs_attention = Gauge(
    "conveyor_saga_needs_attention",
    "Orders parked as NEEDS_ATTENTION, counted in the order database by the sweeper",
)
open_orders = Gauge(
    "conveyor_saga_open_orders",
    "Orders not yet CONFIRMED, CANCELLED or SHIPPED, counted in the order database",
)
open_oldest_age = Gauge(
    "conveyor_saga_open_oldest_age_seconds",
    "Age of the oldest order not yet CONFIRMED, CANCELLED or SHIPPED (0 when none is open)",
)
compensation_retries = Counter(
    "conveyor_saga_compensation_retries_total",
    "Compensation commands resent after a step timeout",
    ["step"],
)
sweep_errors = Counter(
    "conveyor_saga_sweep_errors_total", "Orders the timeout sweeper failed on (rolled back alone)"
)
timeouts_deferred = Counter(
    "conveyor_saga_timeouts_deferred_total",
    "Step deadlines moved instead of fired, because the step's command was still in the outbox",
)
timeouts_paused = Gauge(
    "conveyor_saga_timeouts_paused",
    "1 while step timeouts are held back because the broker was not reachable for a full step",
)
projection_lag = Gauge(
    "conveyor_projection_lag_seconds",
    "Age of the oldest order event not yet in the read model (0 when caught up)",
    ["projection"],
)
unfoldable_orders = Counter(
    "conveyor_projection_orders_skipped_total",
    "Orders left out of the read model because their stored history does not fold (a bug to fix)",
    ["projection"],
)
projected_orders = Counter(
    "conveyor_projection_orders_projected_total",
    "Order summaries (re)written into the read model by the live projector",
    ["projection"],
)
