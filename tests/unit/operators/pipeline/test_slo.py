"""The PrometheusRule: the SLO specs through the generator, scoped to the pipeline, its targets."""

from __future__ import annotations

from typing import Any

from operators.pipeline.slo import prometheus_rule
from operators.pipeline.slos.files import load
from operators.pipeline.slos.rules import WINDOWS, slo_rules
from tests.unit.operators.pipeline.rendering import owner_of, pipeline


def _groups() -> dict[str, dict[str, Any]]:
    resource = pipeline("prod")
    rule = prometheus_rule(owner_of(resource), resource.spec)
    return {g["name"]: g for g in rule["spec"]["groups"]}


def _alert(group: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in group["rules"] if r.get("alert") == name)


def test_one_group_per_workload_and_per_checkout_slo() -> None:
    groups = _groups()
    assert len(groups) == 8 + 3
    assert "conveyor-slo-conveyor-checkout-availability" in groups
    assert "conveyor-slo-conveyor-checkout-latency" in groups
    order = groups["conveyor-slo-conveyor-order"]
    records = [r["record"] for r in order["rules"] if "record" in r]
    assert records[: len(WINDOWS)] == [f"slo:sli_error:ratio_rate{w}" for w in WINDOWS]
    assert 'namespace="conveyor",job="conveyor-order"' in order["rules"][0]["expr"]
    assert order["rules"][0]["labels"]["pipeline"] == "conveyor"


def test_burn_thresholds_follow_each_workloads_availability() -> None:
    groups = _groups()
    order_fast = _alert(
        groups["conveyor-slo-conveyor-order"], "ConveyorWorkloadAvailabilityBurnRatePage"
    )
    assert "> 0.0144 " in order_fast["expr"]  # 14.4 x (1 - 99.9 %)
    assert "> 0.006 " in order_fast["expr"]  # 6 x
    assert order_fast["labels"]["severity"] == "page"
    payment_slow = _alert(
        groups["conveyor-slo-conveyor-payment"], "ConveyorWorkloadAvailabilityBurnRateTicket"
    )
    assert "> 0.0015 " in payment_slow["expr"]  # 3 x (1 - 99.95 %)
    assert payment_slow["labels"]["severity"] == "ticket"


def test_the_operator_renders_the_committed_specs_through_the_same_generator() -> None:
    checkout = load()["checkout.yaml"]
    scope = {"namespace": "conveyor", "job": "conveyor-order"}
    expected = slo_rules(
        checkout,
        checkout.slos[0],
        scope=scope,
        extra_labels={"workload": "order", "pipeline": "conveyor"},
    )
    assert _groups()["conveyor-slo-conveyor-checkout-availability"]["rules"] == expected


def test_latency_alert_uses_the_workloads_p99_target() -> None:
    groups = _groups()
    latency = _alert(groups["conveyor-slo-conveyor-notification"], "ConveyorLatencyP99High")
    assert latency["expr"].endswith("> 2")  # 2000 ms override
    assert latency["for"] == "10m"
    assert latency["annotations"]["runbook_url"] == "docs/runbooks/ConveyorLatencyP99High.md"
    order = _alert(groups["conveyor-slo-conveyor-order"], "ConveyorLatencyP99High")
    assert order["expr"].endswith("> 0.3")
