"""Per-service RED: request rate, errors and duration, per workload and per route.

From the edge middleware's `conveyor_http_requests_total` (method, route template, status) and
`conveyor_http_request_duration_seconds` (method, route); probe routes are left out. `up` shows
which replicas Prometheus reaches, so a silent service reads as down rather than as healthy.
The last row shows the failure injection in force: each `fault.*` flag's highest value over the
selected workloads' processes (what they evaluate now), and flags files they refused.
"""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as model

from operators.dashboards import promql
from operators.dashboards.panels import built, graph, new_dashboard, row, single

ERROR_STEPS = ((None, "green"), (0.001, "orange"), (0.01, "red"))
FAULTS = f'{promql.WORKLOAD},flag=~"fault[.].+"'


def dashboard() -> model.Dashboard:
    requests, duration = promql.HTTP_REQUESTS, promql.HTTP_DURATION
    served = promql.SERVED
    board = (
        new_dashboard(
            "conveyor-services-red",
            "Conveyor / Services (RED)",
            "Rate, errors and duration of every workload's HTTP answers (probes excluded).",
        )
        .with_row(row("Per workload"))
        .with_panel(
            single(
                "Replicas up",
                [(f'sum by (workload) (up{{{promql.WORKLOAD},workload!=""}})', "{{workload}}")],
                unit="none",
                steps=((None, "red"), (1.0, "green")),
                width=8,
            )
        )
        .with_panel(
            single(
                "Error ratio (5 m)",
                [(promql.error_ratio("5m"), "{{workload}}")],
                unit="percentunit",
                steps=ERROR_STEPS,
                width=16,
            )
        )
        .with_panel(
            graph(
                "Rate",
                [
                    (
                        f"sum by (workload) ({promql.rate(requests, served, '$__rate_interval')})",
                        "{{workload}}",
                    )
                ],
                unit="reqps",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Errors (5xx / all)",
                [(promql.error_ratio("$__rate_interval"), "{{workload}}")],
                unit="percentunit",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Duration p99",
                [(promql.quantile(0.99, duration, served, by="workload"), "{{workload}}")],
                unit="s",
                width=8,
            )
        )
        .with_row(row("Per route"))
        .with_panel(
            graph(
                "Rate by route and status",
                [
                    (
                        "sum by (workload, method, route, status) "
                        f"({promql.rate(requests, served, '$__rate_interval')})",
                        "{{workload}} {{method}} {{route}} {{status}}",
                    )
                ],
                unit="reqps",
            )
        )
        .with_panel(
            graph(
                "Duration by route: p50 and p99",
                [
                    (
                        promql.quantile(q, duration, served, by="workload, method, route"),
                        f"{{{{workload}}}} {{{{method}}}} {{{{route}}}} p{round(q * 100)}",
                    )
                    for q in (0.5, 0.99)
                ],
                unit="s",
            )
        )
        .with_row(row("Failure injection"))
        .with_panel(
            single(
                "Fault flags in force (highest over processes)",
                [(f"max by (flag) ({promql.FLAG_VALUE}{{{FAULTS}}})", "{{flag}}")],
                unit="none",
                steps=((None, "green"), (1e-9, "orange")),
                description="0 everywhere: no failure is injected. Latencies in ms, rates 0-1.",
                width=16,
            )
        )
        .with_panel(
            single(
                "Flags files refused (time range)",
                [
                    (
                        promql.increase(promql.FLAGS_RELOAD_ERRORS, promql.WORKLOAD, by="workload"),
                        "{{workload}}",
                    )
                ],
                unit="none",
                steps=((None, "green"), (1.0, "red")),
                width=8,
            )
        )
    )
    return built(board)
