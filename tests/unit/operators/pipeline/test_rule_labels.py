"""Every label a rule groups by is one its series carry, on the laptop and on a cluster.

Laptop: the local Prometheus loads observability/rules/ and observability/alerts/ and scrapes the
workloads from a target file (operators/local/servers/prometheus.py). Cluster: Prometheus loads
the operator's PrometheusRule and the same alert files (the add-ons' rules map) and scrapes
through the operator's ServiceMonitors, whose targets the Prometheus Operator labels with job,
instance, namespace, service, pod, container and endpoint, plus what a relabeling sets.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from operators.local.servers.prometheus import target_groups
from operators.pipeline.render import render_children
from operators.pipeline.slo import prometheus_rule
from operators.pipeline.slos.files import ALERT_DIR, RULE_DIR
from tests.support.rule_labels import declared_metrics, missing_group_labels
from tests.unit.operators.pipeline.rendering import owner_of, pipeline

# What the Prometheus Operator sets on every target of a ServiceMonitor endpoint.
OPERATOR_TARGET_LABELS = frozenset(
    {"job", "instance", "namespace", "service", "pod", "container", "endpoint"}
)
Monitors = list[dict[str, Any]]


@pytest.fixture(scope="module")
def metrics() -> dict[str, frozenset[str]]:
    return declared_metrics()


def _groups(*folders: Any) -> list[dict[str, Any]]:
    return [
        group
        for folder in folders
        for path in sorted(folder.glob("*.yaml"))
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
    ]


def local_targets() -> frozenset[str]:
    """The labels of every target of the local `workloads` job."""
    groups = target_groups({"order": ["127.0.0.1:8001"], "payment": ["127.0.0.1:8002"]})
    return frozenset({"job", "instance"}) | frozenset.intersection(
        *[frozenset(g["labels"]) for g in groups]
    )


def cluster_targets(monitors: Monitors) -> frozenset[str]:
    """The labels every target of every ServiceMonitor carries."""
    per_monitor = [
        OPERATOR_TARGET_LABELS
        | {r["targetLabel"] for e in m["spec"]["endpoints"] for r in e.get("relabelings", [])}
        for m in monitors
    ]
    return frozenset.intersection(*per_monitor)


def _cluster(without: Callable[[Monitors], None] = lambda _: None) -> tuple[Monitors, list[Any]]:
    resource = pipeline("prod")
    children = render_children(owner_of(resource), resource.spec, prometheus_operator=True)
    monitors = copy.deepcopy([c for c in children if c["kind"] == "ServiceMonitor"])
    without(monitors)
    rule = prometheus_rule(owner_of(resource), resource.spec)
    return monitors, [*rule["spec"]["groups"], *_groups(ALERT_DIR)]


def test_every_label_a_local_rule_groups_by_is_set_by_the_local_scrape(
    metrics: dict[str, frozenset[str]],
) -> None:
    groups = _groups(RULE_DIR, ALERT_DIR)
    found = missing_group_labels(groups, targets=local_targets(), metrics=metrics, where="local")
    assert found == []


def test_every_label_a_cluster_rule_groups_by_is_set_by_the_service_monitors(
    metrics: dict[str, frozenset[str]],
) -> None:
    monitors, groups = _cluster()
    assert len(monitors) == len(pipeline("prod").spec.workloads)
    found = missing_group_labels(
        groups, targets=cluster_targets(monitors), metrics=metrics, where="cluster"
    )
    assert found == []


def test_a_service_monitor_without_the_workload_relabeling_is_caught(
    metrics: dict[str, frozenset[str]],
) -> None:
    def strip(monitors: Monitors) -> None:
        for endpoint in monitors[0]["spec"]["endpoints"]:
            endpoint.pop("relabelings")

    monitors, groups = _cluster(strip)
    found = missing_group_labels(
        groups, targets=cluster_targets(monitors), metrics=metrics, where="cluster"
    )
    assert any("OutboxDeadLetterRows" in p and "`workload`" in p for p in found), found


def test_a_rule_reading_an_unknown_metric_is_reported(metrics: dict[str, frozenset[str]]) -> None:
    groups = [{"rules": [{"alert": "Typo", "expr": "max by (workload) (conveyor_outbx_rows) > 0"}]}]
    found = missing_group_labels(groups, targets={"workload"}, metrics=metrics, where="local")
    assert found == ["local: Typo: conveyor_outbx_rows is neither declared nor recorded"]
