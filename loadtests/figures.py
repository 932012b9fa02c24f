"""Aggregating repeated benchmark runs into headline figures, and finding a sweep's knee (pure).

A headline is never one run: each numeric figure becomes the median over the runs (the middle
value, or the mean of the two middle values for an even count), and its spread is the minimum and
maximum seen. A figure missing from a run (e.g. no CONFIRMED order, so no p99) is left out of
that figure's median; a figure missing from every run is None. Nested per-name figures (peak
RSS per replica, CPU per process) get a median per name.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Figures = Mapping[str, Any]


def _tidy(value: float, *, counts: bool) -> float:
    """Counts stay whole numbers when they are; other figures are rounded to 0.1."""
    if counts and value == int(value):
        return int(value)
    return round(float(value), 1)


def median(values: Sequence[float | None]) -> float | None:
    """The median of the values that are present, rounded to 0.1; None when none are."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    counts = all(isinstance(v, int) for v in present)
    return _tidy(statistics.median(present), counts=counts)


def spread(values: Sequence[float | None]) -> dict[str, float] | None:
    """The minimum and maximum of the values that are present; None when none are."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    counts = all(isinstance(v, int) for v in present)
    return {"min": _tidy(min(present), counts=counts), "max": _tidy(max(present), counts=counts)}


def _numeric(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def aggregate(runs: Sequence[Figures]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(medians, spread) of the runs' figures, keyed like a run; nested dicts median per name.

    Only figures that are numbers (or None) in every run where they appear are aggregated;
    anything else (text, lists) is taken from the first run as it is.
    """
    medians: dict[str, Any] = {}
    spreads: dict[str, Any] = {}
    keys = list(dict.fromkeys(k for run in runs for k in run))
    for key in keys:
        values = [run.get(key) for run in runs]
        if all(isinstance(v, Mapping) or v is None for v in values) and any(
            isinstance(v, Mapping) for v in values
        ):
            nested = [v for v in values if isinstance(v, Mapping)]
            medians[key], spreads[key] = aggregate(nested)
        elif all(_numeric(v) for v in values):
            medians[key] = median(values)
            spreads[key] = spread(values)
        else:
            medians[key] = next(v for v in values if v is not None)
    return medians, spreads


@dataclass(frozen=True)
class RatePoint:
    """One offered rate of a sweep, as its median figures."""

    offered_per_s: float
    completed_per_s: float | None
    p99_confirm_ms: float | None

    def keeps_up(self, *, p99_limit_ms: float, keep_up: float) -> bool:
        """p99 accept→CONFIRMED under the limit and completed/s at least `keep_up` times offered."""
        return (
            self.p99_confirm_ms is not None
            and self.p99_confirm_ms < p99_limit_ms
            and self.completed_per_s is not None
            and self.completed_per_s >= keep_up * self.offered_per_s
        )


def knee(
    points: Sequence[RatePoint], *, p99_limit_ms: float = 1000.0, keep_up: float = 0.97
) -> float | None:
    """The highest offered rate that keeps up, counting up from the lowest until the first miss.

    A rate that passes above a failing one is noise, not capacity: the knee is the top of the
    unbroken run of passing rates from the bottom. None when the lowest rate already fails.
    """
    best: float | None = None
    for point in sorted(points, key=lambda p: p.offered_per_s):
        if not point.keeps_up(p99_limit_ms=p99_limit_ms, keep_up=keep_up):
            break
        best = point.offered_per_s
    return best


# Processes that are no tier of the cost model: the load, the tooling and the stand-in provider.
NOT_A_TIER = frozenset({"driver", "supervisor", "prometheus", "redis", "payment-provider"})
TIER_OF = {"postgres": "database", "kafka": "streaming"}


def cost_tiers(cpu_per_1000: Mapping[str, float]) -> dict[str, float]:
    """The cost model's `benchmark.cpu_seconds_per_1000_orders` from a bench's per-process CPU:
    PostgreSQL is `database`, Kafka `streaming`, every workload replica adds to `app`."""
    tiers = {"app": 0.0, "database": 0.0, "streaming": 0.0}
    for name, seconds in cpu_per_1000.items():
        if name not in NOT_A_TIER:
            tiers[TIER_OF.get(name, "app")] += seconds
    return {tier: round(seconds, 1) for tier, seconds in tiers.items()}
