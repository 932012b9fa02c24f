"""The order saga: the funnel from accepted to confirmed or cancelled, its duration, and orders
that have not ended.

Accepted orders are the order service's `202` answers to `POST /v1/orders`; ended sagas are
`conveyor_saga_outcomes_total` by outcome, and their duration (accepted to terminal) is
`conveyor_saga_duration_seconds`. No metric yet counts non-terminal orders by age, so "not ended"
is accepted minus ended over the time range: it includes orders still in flight near its end,
and a steady climb is the sign of stuck sagas. `conveyor dlq` lists what was dead-lettered.
"""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as model

from operators.dashboards import promql
from operators.dashboards.panels import built, graph, new_dashboard, note, row, single

SAGA = promql.WORKLOAD


def dashboard() -> model.Dashboard:
    outcomes, duration = promql.SAGA_OUTCOMES, promql.SAGA_DURATION
    accepted = promql.increase(promql.HTTP_REQUESTS, promql.ACCEPTED)
    ended = promql.increase(outcomes, SAGA)
    confirmed = promql.increase(outcomes, f'{SAGA},outcome="confirmed"')
    slowest = promql.SLOWEST_BOUND
    within_slowest = promql.increase(f"{duration}_bucket", f'{SAGA},le="{slowest}"')
    slow = f"{promql.increase(f'{duration}_count', SAGA)} - {within_slowest}"
    accepting = promql.rate(promql.HTTP_REQUESTS, promql.ACCEPTED, "$__rate_interval")
    ending = promql.rate(outcomes, SAGA, "$__rate_interval")
    board = (
        new_dashboard(
            "conveyor-saga",
            "Conveyor / Saga funnel and stuck orders",
            "Orders accepted, confirmed and cancelled, how long sagas take, and orders that "
            "have not ended.",
        )
        .with_row(row("Funnel over the time range"))
        .with_panel(single("Accepted (202)", [(accepted, "accepted")], unit="none", decimals=0))
        .with_panel(
            single(
                "Ended, by outcome",
                [(promql.increase(outcomes, SAGA, by="outcome"), "{{outcome}}")],
                unit="none",
                decimals=0,
            )
        )
        .with_panel(
            single(
                "Confirmed share of ended",
                [(f"{confirmed} / {ended}", "confirmed")],
                unit="percentunit",
                steps=((None, "red"), (0.9, "orange"), (0.99, "green")),
            )
        )
        .with_panel(
            single(
                "Not ended (accepted - ended)",
                [(f"clamp_min({accepted} - {ended}, 0)", "not ended")],
                unit="none",
                decimals=0,
                steps=((None, "green"), (1.0, "orange"), (10.0, "red")),
                description="Includes sagas still running near the end of the range.",
            )
        )
        .with_row(row("Over time"))
        .with_panel(
            graph(
                "Accepted and ended per second",
                [
                    (f"sum ({accepting})", "accepted"),
                    (f"sum by (outcome) ({ending})", "{{outcome}}"),
                ],
                unit="ops",
            )
        )
        .with_panel(
            graph(
                "Saga duration p50 / p99 by outcome",
                [
                    (promql.quantile(q, duration, SAGA, by="outcome"), f"{{{{outcome}}}} p{p}")
                    for q, p in ((0.5, 50), (0.99, 99))
                ],
                unit="s",
            )
        )
        .with_row(row("Stuck orders"))
        .with_panel(
            single(
                f"Sagas longer than {promql.SLOWEST_SECONDS} s",
                [(slow, "slow")],
                unit="none",
                decimals=0,
                steps=((None, "green"), (1.0, "red")),
                description="Ended sagas above the histogram's highest bucket.",
                width=8,
            )
        )
        .with_panel(
            note(
                "Debugging a stuck order",
                "No metric counts non-terminal orders by age yet; the panels above infer them. "
                "`conveyor dlq` lists dead-lettered messages with the order id; the order's "
                "events are at `GET /v1/orders/{id}/events`.",
                width=16,
                height=5,
            )
        )
    )
    return built(board)
