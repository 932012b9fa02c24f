"""Lag-based replica decisions for Kafka consumer workloads: a pure function of what was observed.

One replica is expected to keep up with `lag_threshold` messages of consumer-group lag, so the
wanted count is ceil(lag / threshold), held within the spec's bounds. Scaling up is immediate
(lag is a backlog that only grows while under-provisioned); scaling down removes one replica at a
time and only after the cool-down since the last change, because every membership change
rebalances the consumer group and pauses consumption. A count found outside the bounds (a spec
change moved them) is brought back at once. The caller persists `last_scaled_at` (the handler keeps
it in an annotation) and passes its own clock, so tests need no sleeping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    replicas: int
    reason: str  # CamelCase, for Events and conditions

    def changes(self, current: int) -> bool:
        return self.replicas != current


def decide_replicas(
    *,
    current: int,
    lag: int,
    bounds: tuple[int, int],
    lag_threshold: int,
    cooldown_s: float,
    last_scaled_at: float | None,
    now: float,
) -> Decision:
    low, high = bounds
    if not 0 <= low <= high:
        raise ValueError(f"bounds must satisfy 0 <= min <= max, got {bounds}")
    if lag < 0 or lag_threshold < 1 or current < 0:
        raise ValueError("lag and current must be >= 0, lag_threshold >= 1")
    if current < low:
        return Decision(low, "BelowMinimum")
    if current > high:
        return Decision(high, "AboveMaximum")
    wanted = min(max(math.ceil(lag / lag_threshold), low), high)
    if wanted > current:
        return Decision(wanted, "LagAboveCapacity")
    if wanted == current:
        return Decision(current, "LagWithinCapacity")
    if last_scaled_at is not None and now - last_scaled_at < cooldown_s:
        return Decision(current, "CoolingDown")
    return Decision(current - 1, "LagBelowCapacity")
