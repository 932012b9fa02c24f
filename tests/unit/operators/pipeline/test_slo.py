"""SLO rules: burn-rate thresholds from the spec's targets, per workload, scoped to the pipeline."""

from __future__ import annotations

from typing import Any

from operators.pipeline.slo import WINDOWS, prometheus_rule
from tests.unit.operators.pipeline.rendering import owner_of, pipeline


def _groups() -> dict[str, dict[str, Any]]:
    resource = pipeline("prod")
    rule = prometheus_rule(owner_of(resource), resource.spec)
    return {g["name"]: g for g in rule["spec"]["groups"]}


def _alert(group: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in group["rules"] if r.get("alert") == name)


def test_one_group_per_workload_with_a_record_per_window() -> None:
    groups = _groups()
    assert len(groups) == 8
    order = groups["conveyor-slo-conveyor-order"]
    records = [r["record"] for r in order["rules"] if "record" in r]
    assert records == [f"conveyor:http_error_ratio:rate{w}" for w in WINDOWS]
    assert 'namespace="conveyor",job="conveyor-order"' in order["rules"][0]["expr"]


def test_burn_thresholds_follow_each_workloads_availability() -> None:
    groups = _groups()
    order_fast = _alert(groups["conveyor-slo-conveyor-order"], "ConveyorErrorBudgetBurnFast")
    assert "> 0.0144" in order_fast["expr"]  # 14.4 x (1 - 99.9 %)
    assert "> 0.006 " in order_fast["expr"]  # 6 x
    assert order_fast["labels"]["severity"] == "page"
    payment_slow = _alert(groups["conveyor-slo-conveyor-payment"], "ConveyorErrorBudgetBurnSlow")
    assert "> 0.0015 " in payment_slow["expr"]  # 3 x (1 - 99.95 %)
    assert payment_slow["labels"]["severity"] == "ticket"


def test_latency_alert_uses_the_workloads_p99_target() -> None:
    groups = _groups()
    latency = _alert(groups["conveyor-slo-conveyor-notification"], "ConveyorLatencyP99High")
    assert latency["expr"].endswith("> 2")  # 2000 ms override
    assert latency["for"] == "10m"
    order = _alert(groups["conveyor-slo-conveyor-order"], "ConveyorLatencyP99High")
    assert order["expr"].endswith("> 0.3")
