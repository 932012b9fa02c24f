"""A pipeline's PrometheusRule: the SLO specs of observability/slos/, scoped to this pipeline.

Rendered by the same generator as the committed rule files (operators/pipeline/slos/rules.py),
so the operator and `conveyor slo generate` cannot disagree on a record or an alert. Scoping:
every selector is narrowed to the pipeline's namespace and the workload's Service (the `job`
label a ServiceMonitor sets), so two pipelines never mix. Targets: an SLO declared for each
workload (`workload: "*"`) takes that workload's availability from the OrderPipeline spec's `slo`
section; an SLO of one workload (checkout) keeps its spec's objective and is rendered only if the
pipeline runs that workload. Besides the SLOs, each workload gets a p99 latency alert against the
spec's `latencyP99Ms`, sustained for 10 m (a threshold, not a budget: the target need not be a
bucket boundary). A spec that does not validate fails the render with the field named.
"""

from __future__ import annotations

from typing import Any

from operators.pipeline.objects import Owner, child_name
from operators.pipeline.slos.files import bundled
from operators.pipeline.slos.model import SloFile
from operators.pipeline.slos.rules import RUNBOOKS, slo_rules
from operators.pipeline.spec import OrderPipelineSpec

LATENCY_ALERT = "ConveyorLatencyP99High"


def _number(value: float) -> str:
    return f"{value:.6g}"


def _latency_alert(owner: Owner, spec: OrderPipelineSpec, workload: str) -> dict[str, Any]:
    latency_ms = spec.slo.target(workload)[1]
    match = f'namespace="{owner.namespace}",job="{child_name(owner, workload)}"'
    p99 = (
        "histogram_quantile(0.99, sum by (le) "
        f"(rate(conveyor_http_request_duration_seconds_bucket{{{match}}}[5m])))"
    )
    return {
        "alert": LATENCY_ALERT,
        "expr": f"{p99} > {_number(latency_ms / 1000)}",
        "for": "10m",
        "labels": {
            "workload": workload,
            "pipeline": owner.name,
            "namespace": owner.namespace,
            "severity": "ticket",
        },
        "annotations": {
            "summary": f"{workload} p99 latency above {latency_ms} ms",
            "runbook_url": f"{RUNBOOKS}/{LATENCY_ALERT}.md",
        },
    }


def _scope(owner: Owner, workload: str) -> dict[str, str]:
    return {"namespace": owner.namespace, "job": child_name(owner, workload)}


def workload_group(
    owner: Owner, spec: OrderPipelineSpec, workload: str, files: tuple[SloFile, ...]
) -> dict[str, Any]:
    """The SLOs declared for every workload, for this one, and its p99 latency alert."""
    availability = spec.slo.target(workload)[0]
    rules = [
        rule
        for file in files
        for slo in file.slos
        if slo.workload == "*"
        for rule in slo_rules(
            file,
            slo,
            scope=_scope(owner, workload),
            objective=availability,
            extra_labels={"workload": workload, "pipeline": owner.name},
        )
    ]
    rules.append(_latency_alert(owner, spec, workload))
    return {"name": f"conveyor-slo-{owner.name}-{workload}", "rules": rules}


def service_groups(
    owner: Owner, spec: OrderPipelineSpec, files: tuple[SloFile, ...]
) -> list[dict[str, Any]]:
    """The SLOs of one workload (checkout), for the workloads this pipeline runs."""
    return [
        {
            "name": f"conveyor-slo-{owner.name}-{file.service}-{slo.name}",
            "rules": slo_rules(
                file,
                slo,
                scope=_scope(owner, slo.workload),
                extra_labels={"workload": slo.workload, "pipeline": owner.name},
            ),
        }
        for file in files
        for slo in file.slos
        if slo.workload != "*" and slo.workload in spec.workloads and slo.sli.missing is None
    ]


def prometheus_rule(
    owner: Owner, spec: OrderPipelineSpec, *, files: tuple[SloFile, ...] | None = None
) -> dict[str, Any]:
    specs = bundled() if files is None else files
    groups = [workload_group(owner, spec, name, specs) for name in sorted(spec.workloads)]
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": child_name(owner, "slo")},
        "spec": {"groups": [*groups, *service_groups(owner, spec, specs)]},
    }
