"""Kafka, outbox and dead letters: what the consumers applied, retried and dead-lettered, and what
the outbox relays published and still holds.

Consumers count every message by group, topic and outcome (applied, duplicate, ignored,
dead_lettered) and time its handling; the relay counts rows published per topic and reports its
backlog per replica. Consumer lag is exported per group and partition by the replica that owns
the partition (so sums over replicas count each partition once); DLQ depth per dead-letter topic
by every replica that consumes its source topic (the same value on each: max, never sum).
"""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as model

from operators.dashboards import promql
from operators.dashboards.panels import built, graph, new_dashboard, row, single

INTERVAL = "$__rate_interval"


def dashboard() -> model.Dashboard:
    workload = promql.WORKLOAD
    handled = promql.rate(promql.MESSAGES_HANDLED, workload, INTERVAL)
    retried = promql.rate(promql.MESSAGE_RETRIES, workload, INTERVAL)
    published = promql.rate(promql.OUTBOX_PUBLISHED, workload, INTERVAL)
    board = (
        new_dashboard(
            "conveyor-messaging",
            "Conveyor / Kafka, outbox and DLQ",
            "Messages handled by outcome, retries, dead letters, outbox throughput and backlog.",
        )
        .with_row(row("Dead letters and backlog"))
        .with_panel(
            single(
                "Dead-lettered over the range, by source topic",
                [(promql.increase(promql.DLQ_MESSAGES, workload, by="topic"), "{{topic}}")],
                unit="none",
                decimals=0,
                steps=((None, "green"), (1.0, "red")),
                width=12,
                description="`conveyor dlq` lists them; each carries the order id and the error.",
            )
        )
        .with_panel(
            single(
                "Outbox backlog, by workload",
                [(f"sum by (workload) ({promql.OUTBOX_BACKLOG}{{{workload}}})", "{{workload}}")],
                unit="none",
                decimals=0,
                steps=((None, "green"), (100.0, "orange"), (1000.0, "red")),
                width=12,
            )
        )
        .with_panel(
            single(
                "Dead letters waiting (not redriven), by DLQ",
                [(f"max by (topic) ({promql.DLQ_DEPTH}{{{workload}}})", "{{topic}}")],
                unit="none",
                decimals=0,
                steps=((None, "green"), (1.0, "red")),
                width=24,
                description="Until `conveyor dlq redrive` passes them; retention (14 d) aside,"
                " nothing else lowers it.",
            )
        )
        .with_row(row("Consumers"))
        .with_panel(
            graph(
                "Consumer lag, by group",
                [(f"sum by (group) ({promql.CONSUMER_LAG}{{{workload}}})", "{{group}}")],
                unit="none",
                description="Records not yet committed by the group, over its partitions.",
            )
        )
        .with_panel(
            graph(
                "Consumer lag, by group, topic and partition",
                [
                    (
                        f"max by (group, topic, partition) ({promql.CONSUMER_LAG}{{{workload}}})",
                        "{{group}} {{topic}}[{{partition}}]",
                    )
                ],
                unit="none",
            )
        )
        .with_panel(
            graph(
                "Handled per second, by group and outcome",
                [(f"sum by (group, outcome) ({handled})", "{{group}} {{outcome}}")],
                unit="ops",
            )
        )
        .with_panel(
            graph(
                "Handling time p99, by group and topic",
                [
                    (
                        promql.quantile(0.99, promql.MESSAGE_HANDLING, workload, by="group, topic"),
                        "{{group}} {{topic}}",
                    )
                ],
                unit="s",
            )
        )
        .with_panel(
            graph(
                "Retries per second, by group and topic",
                [(f"sum by (group, topic) ({retried})", "{{group}} {{topic}}")],
                unit="ops",
            )
        )
        .with_panel(
            graph(
                "Dead-lettered per second, by source topic",
                [
                    (
                        f"sum by (topic) ({promql.rate(promql.DLQ_MESSAGES, workload, INTERVAL)})",
                        "{{topic}}",
                    )
                ],
                unit="ops",
            )
        )
        .with_row(row("Outbox"))
        .with_panel(
            graph(
                "Published per second, by topic",
                [(f"sum by (topic) ({published})", "{{topic}}")],
                unit="ops",
            )
        )
        .with_panel(
            graph(
                "Backlog, by replica",
                [(f"{promql.OUTBOX_BACKLOG}{{{workload}}}", "{{workload}} {{instance}}")],
                unit="none",
            )
        )
    )
    return built(board)
