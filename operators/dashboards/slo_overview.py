"""SLO overview: per SLO of observability/slos/, the error budget left and the burn rates, read
from the generated SLO recording rules, so the panels and the alerts see the same numbers.

One row per SLO: the budget remaining over 30 days, the 5-minute error ratio against the budget,
and the burn rate of every window the alerts use, with the factor each pair pages or tickets at
as a dashed line (1x spends exactly the 30-day budget in 30 days). The PromQL comes from
`operators/pipeline/slos/records.py`, shared with `conveyor slo report`. Checkout latency is the
saga's accepted -> CONFIRMED duration (`conveyor_saga_duration_seconds`), as its spec says, not
the `POST /v1/orders` answer time. An SLO whose SLI is not measured gets a note saying why.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as board
from grafana_foundation_sdk.models import dashboard as model

from operators.dashboards import promql
from operators.dashboards.panels import Query, Step, built, graph, new_dashboard, note, row, single
from operators.pipeline.slos import records
from operators.pipeline.slos.files import bundled
from operators.pipeline.slos.model import Slo, SloFile

BUDGET_STEPS: tuple[Step, ...] = ((None, "red"), (0.0, "orange"), (0.25, "green"))


def _burn_queries(sel: str, pairs: tuple[tuple[str, str, float], ...]) -> list[Query]:
    windows = [window for pair in pairs for window in pair[:2]]
    return [(records.burn_rate(w, sel), w) for w in windows]


def _factor_steps(pairs: tuple[tuple[str, str, float], ...]) -> tuple[Step, ...]:
    """Green below the lower factor, orange from it, red from the higher one."""
    low, high = sorted(factor for _, _, factor in pairs)
    return ((None, "green"), (low, "orange"), (high, "red"))


def _slo_panels(dashboard: board.Dashboard, file: SloFile, slo: Slo) -> board.Dashboard:
    title = f"{file.service} / {slo.name}: {slo.objective:g} %"
    if slo.sli.missing is not None:
        return dashboard.with_row(row(f"{title} (not measured)")).with_panel(
            note(
                "Why this SLO has no panels",
                " ".join(slo.sli.missing.reason.split()),
                height=3,
            )
        )
    sel = records.slo_selector(file.service, slo.name)
    return (
        dashboard.with_row(row(title))
        .with_panel(
            single(
                "Error budget remaining (30 d)",
                [(records.budget_remaining(sel), "remaining")],
                unit="percentunit",
                steps=BUDGET_STEPS,
                width=8,
                description=" ".join(slo.description.split())
                + " 1 - (30-day error ratio / budget); below 0 the objective is missed.",
            )
        )
        .with_panel(
            graph(
                "Error ratio (5 m) against the budget",
                [
                    (records.error_ratio("5m", sel), "error ratio"),
                    (f"1 - {records.objective(sel)}", "budget"),
                ],
                unit="percentunit",
                width=16,
                height=5,
            )
        )
        .with_panel(
            graph(
                "Burn rate, paging windows (14.4x over 1 h and 5 m, 6x over 6 h and 30 m)",
                _burn_queries(sel, promql.PAGE_PAIRS),
                unit="x",
                steps=_factor_steps(promql.PAGE_PAIRS),
            )
        )
        .with_panel(
            graph(
                "Burn rate, ticket windows (3x over 1 d and 2 h, 1x over 3 d and 6 h)",
                _burn_queries(sel, promql.TICKET_PAIRS),
                unit="x",
                steps=_factor_steps(promql.TICKET_PAIRS),
            )
        )
    )


def dashboard() -> model.Dashboard:
    board_ = new_dashboard(
        "conveyor-slo-overview",
        "Conveyor / SLO overview",
        "Error budget remaining and burn rates per SLO of observability/slos/, from the "
        "generated SLO recording rules (the same series the alerts read).",
    )
    for file in bundled():
        for slo in file.slos:
            board_ = _slo_panels(board_, file, slo)
    return built(board_)
