"""Everything `conveyor cost` reports for one env, as one plain, JSON-ready document.

- `configured`: the graph exactly as synthesized (what `pulumi up` creates in month one) with the
  env's usage assumptions: the monthly cost per component and total;
- `at_load`: the graph sized for an orders/day figure (the env's own, or the one asked for) and
  the cost per 1,000 orders there, storage grown to its steady state;
- `users`: the brief's question, cost at 100K and 500K users;
- `reference`: the brief's reference case next to ours. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from policies.cost.capacity import Estimate, estimate, for_users
from policies.cost.lines import CostReport
from policies.cost.model import price
from policies.cost.reference import Comparison, compare
from policies.cost.tables import AssumptionFile, PriceTable
from policies.synth_graph import Graph

BRIEF_USERS = (100_000, 500_000)


@dataclass(frozen=True)
class Answers:
    env: str
    configured: CostReport
    at_load: Estimate
    users: tuple[Estimate, ...]
    reference: Comparison

    def to_dict(self, prices: PriceTable, a: AssumptionFile) -> dict[str, Any]:
        return {
            "env": self.env,
            "prices": {
                "as_of": prices.as_of.isoformat(),
                "region": prices.region,
                "basis": prices.basis,
            },
            "assumptions_as_of": a.as_of.isoformat(),
            "configured": self.configured.to_dict(),
            "at_load": _estimate(self.at_load),
            "users": [_estimate(e, lines=False) for e in self.users],
            "reference": {
                "orders_per_day": a.reference_case.orders_per_day,
                "brief_monthly_usd": self.reference.brief_monthly_usd,
                "reference_monthly_usd": round(self.reference.reference_total, 2),
                "reference_lines": [line.to_dict() for line in self.reference.reference.lines],
                "ours_monthly_usd": round(self.reference.ours.report.total, 2),
                "per_component": [
                    {"component": c, "reference_usd": round(r, 2), "ours_usd": round(o, 2)}
                    for c, r, o in self.reference.rows()
                ],
                "explanation": self.reference.explanation(),
            },
        }


def _estimate(e: Estimate, *, lines: bool = True) -> dict[str, Any]:
    report = e.report.to_dict()
    if not lines:
        report = {k: v for k, v in report.items() if k not in ("lines", "free")}
    return {
        "label": e.label,
        "orders_per_day": round(e.plan.orders_per_day, 1),
        "peak_sagas_per_second": round(e.plan.peak_sagas_per_second, 2),
        "peak_events_per_minute": round(e.plan.peak_events_per_minute, 1),
        "sizing": list(e.plan.decisions),
        "cost_per_1000_orders_usd": round(e.cost_per_1000_orders, 4),
        "cost": report,
    }


def answer(
    graph: Graph,
    prices: PriceTable,
    a: AssumptionFile,
    *,
    env: str,
    orders_per_day: float | None = None,
    users: tuple[float, ...] = BRIEF_USERS,
) -> Answers:
    orders = orders_per_day if orders_per_day is not None else a.usage(env).orders_per_day
    at_load = estimate(
        graph, prices, a, env=env, orders_per_day=orders, label=f"{orders:,.0f} orders/day"
    )
    return Answers(
        env=env,
        configured=price(graph, prices, a.for_env(env)),
        at_load=at_load,
        users=tuple(for_users(u, graph, prices, a, env) for u in users),
        reference=compare(graph, prices, a, env),
    )
