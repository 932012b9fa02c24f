"""Render an OrderPipeline spec into the Kubernetes objects it owns: a pure function.

For each workload: ServiceAccount, ConfigMap, Deployment, Service, NetworkPolicy, an HPA when CPU
autoscaling has distinct bounds, a PodDisruptionBudget when at least two pods stay, and with the
Prometheus Operator a ServiceMonitor; per pipeline, the flags ConfigMap every pod mounts
(flags.py), one PrometheusRule with the SLO alerts, and with master database credentials the Job
that bootstraps each workload's database and role (databases.py).

Every child is finished in one place (`_owned`): the owner's namespace, a controller owner
reference (garbage collection deletes children with the pipeline), the `app.kubernetes.io/*`
labels and a `conveyor.dev/spec-hash` annotation (a hash of the child as rendered, so a handler
can tell a drifted child from an outdated one without a deep diff). Output is sorted by
(kind order, name): the same spec always gives the same list, in an order that applies cleanly
(identities and configuration before the pods that use them).

Paused pipelines render exactly the same objects: pausing is the handler's decision not to apply
(and not to scale), so unpausing changes nothing but that decision.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from operators.pipeline import databases, flags, network, pods, services, slo
from operators.pipeline.objects import SPEC_HASH, Owner, labels
from operators.pipeline.spec import OrderPipelineSpec

__all__ = ["Owner", "render_children", "replicas_for"]

KIND_ORDER = (
    "ServiceAccount",
    "ConfigMap",
    "NetworkPolicy",
    "Service",
    "Job",
    "Deployment",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "ServiceMonitor",
    "PrometheusRule",
)


def replicas_for(spec: OrderPipelineSpec, workload: str, scaled: Mapping[str, int]) -> int | None:
    """The Deployment's replicas: None when an HPA owns the count, else a number within bounds.

    Lag-scaled workloads take the operator's latest decision from `scaled` (clamped to the
    bounds, so a stale decision after a spec change cannot escape them); without one they start
    at the lower bound.
    """
    if services.wants_hpa(spec, workload):
        return None
    low, high = spec.bounds(workload)
    return min(max(scaled.get(workload, low), low), high)


def render_children(
    owner: Owner,
    spec: OrderPipelineSpec,
    *,
    prometheus_operator: bool,
    scaled: Mapping[str, int] | None = None,
) -> list[dict[str, Any]]:
    """All children of the pipeline, finished and sorted (see the module docstring)."""
    decided = scaled or {}
    children: list[tuple[str, dict[str, Any]]] = []
    for workload in sorted(spec.workloads):
        config = pods.config_map(owner, spec, workload)
        rendered = [
            services.service_account(owner, workload),
            config,
            network.network_policy(owner, spec, workload),
            services.service(owner, spec, workload),
            pods.deployment(
                owner,
                spec,
                workload,
                replicas=replicas_for(spec, workload, decided),
                config_digest=pods.config_hash(config["data"]),
            ),
        ]
        if services.wants_hpa(spec, workload):
            rendered.append(services.hpa(owner, spec, workload))
        if services.wants_pdb(spec, workload):
            rendered.append(services.pdb(owner, workload))
        if prometheus_operator:
            rendered.append(services.service_monitor(owner, spec, workload))
        children += [(workload, child) for child in rendered]
    children.append((flags.COMPONENT, flags.config_map(owner, spec)))
    if databases.wanted(spec):
        children.append((databases.COMPONENT, databases.job(owner, spec)))
    if prometheus_operator:
        children.append(("slo", slo.prometheus_rule(owner, spec)))
    finished = [_owned(owner, component, child) for component, child in children]
    return sorted(finished, key=_order)


def _owned(owner: Owner, component: str, child: dict[str, Any]) -> dict[str, Any]:
    metadata = {
        **child["metadata"],
        "namespace": owner.namespace,
        "labels": labels(owner, component),
        "ownerReferences": [owner.reference()],
    }
    body = {**child, "metadata": metadata}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    metadata["annotations"] = {SPEC_HASH: digest}
    return body


def _order(child: dict[str, Any]) -> tuple[int, str]:
    return KIND_ORDER.index(child["kind"]), child["metadata"]["name"]
