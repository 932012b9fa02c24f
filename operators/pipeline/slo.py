"""SLO rules for a pipeline: multi-window, multi-burn-rate alerts from the spec's targets.

Error ratio = 5xx responses / all responses of `conveyor_http_requests_total` (workloads/shared/
metrics.py), recorded per workload over the windows the alerts use. The alert pairs follow the
Google SRE workbook (a 30-day budget): page when 2 % of the budget burns in 1 h (14.4x, with a
5 m window to stop paging once it recovers) or 5 % in 6 h (6x, 30 m); ticket at 10 % in 3 days
(1x over 3 d and 6 h) or 3x over 1 d and 2 h. Latency: the p99 of the request histogram against
the workload's target, sustained for 10 m. Series are selected by namespace and Service (the
`job` label a ServiceMonitor sets), so two pipelines never mix.
"""

from __future__ import annotations

from typing import Any

from operators.pipeline.objects import Owner, child_name
from operators.pipeline.spec import OrderPipelineSpec

WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
# (severity, [(long window, short window, burn rate)]) per alert.
BURN_ALERTS: tuple[tuple[str, str, tuple[tuple[str, str, float], ...]], ...] = (
    ("ConveyorErrorBudgetBurnFast", "page", (("1h", "5m", 14.4), ("6h", "30m", 6.0))),
    ("ConveyorErrorBudgetBurnSlow", "ticket", (("1d", "2h", 3.0), ("3d", "6h", 1.0))),
)


def _number(value: float) -> str:
    return f"{value:.6g}"


def _ratio_record(window: str) -> str:
    return f"conveyor:http_error_ratio:rate{window}"


def workload_group(owner: Owner, spec: OrderPipelineSpec, workload: str) -> dict[str, Any]:
    """Recording and alerting rules for one workload's SLO."""
    availability, latency_ms = spec.slo.target(workload)
    budget = (100.0 - availability) / 100.0
    match = f'namespace="{owner.namespace}",job="{child_name(owner, workload)}"'
    series = f'workload="{workload}",pipeline="{owner.name}",namespace="{owner.namespace}"'
    labels = {"workload": workload, "pipeline": owner.name, "namespace": owner.namespace}
    rules: list[dict[str, Any]] = [
        {
            "record": _ratio_record(window),
            "expr": (
                f'sum(rate(conveyor_http_requests_total{{{match},status=~"5.."}}[{window}]))'
                f" / sum(rate(conveyor_http_requests_total{{{match}}}[{window}]))"
            ),
            "labels": labels,
        }
        for window in WINDOWS
    ]
    for alert, severity, pairs in BURN_ALERTS:
        expr = " or ".join(
            f"({_ratio_record(long)}{{{series}}} > {_number(rate * budget)}"
            f" and {_ratio_record(short)}{{{series}}} > {_number(rate * budget)})"
            for long, short, rate in pairs
        )
        rules.append(
            {
                "alert": alert,
                "expr": expr,
                "labels": {**labels, "severity": severity},
                "annotations": {
                    "summary": f"{workload} is burning its error budget ({availability}% SLO)",
                },
            }
        )
    p99 = (
        "histogram_quantile(0.99, sum by (le) "
        f"(rate(conveyor_http_request_duration_seconds_bucket{{{match}}}[5m])))"
    )
    rules.append(
        {
            "alert": "ConveyorLatencyP99High",
            "expr": f"{p99} > {_number(latency_ms / 1000)}",
            "for": "10m",
            "labels": {**labels, "severity": "ticket"},
            "annotations": {"summary": f"{workload} p99 latency above {latency_ms} ms"},
        }
    )
    return {"name": f"conveyor-slo-{owner.name}-{workload}", "rules": rules}


def prometheus_rule(owner: Owner, spec: OrderPipelineSpec) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": child_name(owner, "slo")},
        "spec": {"groups": [workload_group(owner, spec, name) for name in sorted(spec.workloads)]},
    }
