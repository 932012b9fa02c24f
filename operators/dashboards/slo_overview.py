"""SLO overview: error budget remaining and burn rates for availability and checkout latency.

Availability: 5xx answers over all answers (probes excluded), per workload, against the
`$availability` objective. Checkout latency: the share of `POST /v1/orders` answers slower than
`$latency` seconds (a bucket bound of the request histogram), against 99 %. Burn rates are drawn
for the windows the SLO alerts use, with the factor each pair pages or tickets at as a dashed line:
a burn rate of 1 spends exactly the 30-day budget in 30 days.
"""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as model

from operators.dashboards import promql
from operators.dashboards.panels import (
    Query,
    Step,
    built,
    choice,
    graph,
    new_dashboard,
    row,
    single,
)

OBJECTIVES = ("99", "99.5", "99.9", "99.95")
BUDGET_STEPS: tuple[Step, ...] = ((None, "red"), (0.0, "orange"), (0.25, "green"))


def _burn_queries(burn: str, pairs: tuple[tuple[str, str, float], ...], legend: str) -> list[Query]:
    windows = [window for pair in pairs for window in pair[:2]]
    return [(burn.replace("WINDOW", w), f"{legend} {w}") for w in windows]


def _factor_steps(pairs: tuple[tuple[str, str, float], ...]) -> tuple[Step, ...]:
    """Green below the lower factor, orange from it, red from the higher one."""
    low, high = sorted(factor for _, _, factor in pairs)
    return ((None, "green"), (low, "orange"), (high, "red"))


def dashboard() -> model.Dashboard:
    availability_burn = promql.availability_burn("WINDOW")
    latency_burn = promql.latency_burn("WINDOW")
    board = (
        new_dashboard(
            "conveyor-slo-overview",
            "Conveyor / SLO overview",
            "Error budget remaining and burn rates per SLO, computed from the raw counters "
            "(the SLO recording rules replace these expressions when they land).",
        )
        .with_variable(choice("availability", "Availability objective (%)", OBJECTIVES, "99.5"))
        .with_variable(
            choice("latency", "Checkout latency threshold (s)", promql.LE_VALUES, promql.le(0.5))
        )
        .with_row(row("Availability: 5xx / all answers, probes excluded"))
        .with_panel(
            single(
                "Error budget remaining (30 d)",
                [(promql.availability_budget_remaining(), "{{workload}}")],
                unit="percentunit",
                steps=BUDGET_STEPS,
                width=8,
                description="1 - (30-day error ratio / budget). Below 0: the objective is missed.",
            )
        )
        .with_panel(
            graph(
                "Error ratio (5 m) against the budget",
                [
                    (promql.error_ratio("5m"), "{{workload}}"),
                    (f"vector{promql.availability_budget()}", "budget"),
                ],
                unit="percentunit",
                width=16,
                height=5,
            )
        )
        .with_panel(
            graph(
                "Burn rate, paging windows (14.4x over 1 h and 5 m, 6x over 6 h and 30 m)",
                _burn_queries(availability_burn, promql.PAGE_PAIRS, "{{workload}}"),
                unit="x",
                steps=_factor_steps(promql.PAGE_PAIRS),
            )
        )
        .with_panel(
            graph(
                "Burn rate, ticket windows (3x over 1 d and 2 h, 1x over 3 d and 6 h)",
                _burn_queries(availability_burn, promql.TICKET_PAIRS, "{{workload}}"),
                unit="x",
                steps=_factor_steps(promql.TICKET_PAIRS),
            )
        )
        .with_row(row("Checkout latency: POST /v1/orders answered within $latency s, 99 %"))
        .with_panel(
            single(
                "Error budget remaining (30 d)",
                [(promql.latency_budget_remaining(), "checkout")],
                unit="percentunit",
                steps=BUDGET_STEPS,
                width=8,
                description="1 - (30-day share slower than the threshold / 1 %).",
            )
        )
        .with_panel(
            graph(
                "Share slower than $latency s (5 m)",
                [
                    (promql.slow_checkout_ratio("5m"), "slower"),
                    (f"vector({promql.LATENCY_BUDGET})", "budget"),
                ],
                unit="percentunit",
                width=16,
                height=5,
            )
        )
        .with_panel(
            graph(
                "Burn rate, paging windows",
                _burn_queries(latency_burn, promql.PAGE_PAIRS, "checkout"),
                unit="x",
                steps=_factor_steps(promql.PAGE_PAIRS),
            )
        )
        .with_panel(
            graph(
                "Burn rate, ticket windows",
                _burn_queries(latency_burn, promql.TICKET_PAIRS, "checkout"),
                unit="x",
                steps=_factor_steps(promql.TICKET_PAIRS),
            )
        )
    )
    return built(board)
