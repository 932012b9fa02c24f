"""Line items and the cost report: the shape `conveyor cost` prints and writes as JSON."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class LineItem:
    """One priced quantity of one resource for a month."""

    component: str
    resource: str
    type: str
    item: str
    quantity: float
    unit: str
    unit_usd: float
    source: str

    @property
    def monthly_usd(self) -> float:
        return self.quantity * self.unit_usd

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "monthly_usd": round(self.monthly_usd, 2)}


@dataclass(frozen=True)
class FreeResource:
    component: str
    resource: str
    type: str
    reason: str


@dataclass(frozen=True)
class CostReport:
    stack: str
    prices_as_of: str
    orders_per_day: float
    lines: tuple[LineItem, ...]
    free: tuple[FreeResource, ...]

    @property
    def per_component(self) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        for line in self.lines:
            totals[line.component] += line.monthly_usd
        return dict(sorted(totals.items()))

    @property
    def total(self) -> float:
        return sum(line.monthly_usd for line in self.lines)

    def component_total(self, component: str) -> float:
        return self.per_component.get(component, 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "prices_as_of": self.prices_as_of,
            "orders_per_day": self.orders_per_day,
            "monthly_usd": round(self.total, 2),
            "per_component_monthly_usd": {k: round(v, 2) for k, v in self.per_component.items()},
            "lines": [line.to_dict() for line in self.lines],
            "free": [asdict(f) for f in self.free],
        }
