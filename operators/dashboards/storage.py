"""Database and cache: only what the services measure today, and a note on what they do not.

Every HTTP answer but a probe and every handled message is PostgreSQL work (reads from the read
models, writes with their outbox rows in one transaction), so the request and handling durations
stand in for database latency, and handling retries for transient failures. Not measured yet:
the connection pool in use, query durations, PostgreSQL's own statistics (no exporter runs), and
any cache figure: no service reads or writes Redis yet (`workloads/shared/cache.py` is unused).
"""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as model

from operators.dashboards import promql
from operators.dashboards.panels import built, graph, new_dashboard, note, row

INTERVAL = "$__rate_interval"
READS = f'{promql.SERVED},method="GET"'
WRITES = f'{promql.SERVED},method=~"POST|PUT|PATCH|DELETE"'


def dashboard() -> model.Dashboard:
    duration = promql.HTTP_DURATION
    retried = promql.rate(promql.MESSAGE_RETRIES, promql.WORKLOAD, INTERVAL)
    board = (
        new_dashboard(
            "conveyor-storage",
            "Conveyor / Database and cache",
            "PostgreSQL work as the services see it; pool, query and Redis metrics do not "
            "exist yet.",
        )
        .with_row(row("PostgreSQL, as the services see it"))
        .with_panel(
            graph(
                "Reads (GET answers) p99, by workload",
                [(promql.quantile(0.99, duration, READS, by="workload"), "{{workload}}")],
                unit="s",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Writes (POST, PUT answers) p99, by workload",
                [(promql.quantile(0.99, duration, WRITES, by="workload"), "{{workload}}")],
                unit="s",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Message transactions p99, by group",
                [
                    (
                        promql.quantile(0.99, promql.MESSAGE_HANDLING, promql.WORKLOAD, by="group"),
                        "{{group}}",
                    )
                ],
                unit="s",
                width=8,
            )
        )
        .with_panel(
            graph(
                "Handling retries per second (transient database or broker failures)",
                [(f"sum by (workload, group) ({retried})", "{{workload}} {{group}}")],
                unit="ops",
            )
        )
        .with_panel(
            graph(
                "Outbox rows waiting, by workload",
                [
                    (
                        f"sum by (workload) ({promql.OUTBOX_BACKLOG}{{{promql.WORKLOAD}}})",
                        "{{workload}}",
                    )
                ],
                unit="none",
            )
        )
        .with_row(row("Not measured yet"))
        .with_panel(
            note(
                "Database pool, queries and cache",
                "No process exports the connection pool in use, query durations or "
                "PostgreSQL's own statistics (no exporter runs), so they have no panel. "
                "No service reads or writes Redis yet, so there is no cache panel: hit ratio "
                "and latency join this dashboard with the first cached read.",
            )
        )
    )
    return built(board)
