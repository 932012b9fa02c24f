"""The small children around each Deployment: Service, ServiceAccount, HPA, PDB, ServiceMonitor.

An HPA exists only for CPU autoscaling with distinct bounds; lag-based workloads are scaled by the
operator itself (operators/pipeline/autoscaling.py), so an HPA would fight it. A PDB exists only
when the workload keeps at least two pods; with one, any budget either blocks node drains forever
or protects nothing.
"""

from __future__ import annotations

from typing import Any

from operators.pipeline.objects import Owner, child_name, selector
from operators.pipeline.spec import OrderPipelineSpec

PDB_FROM = 2  # fewer pods: a budget blocks drains or protects nothing


def service(owner: Owner, spec: OrderPipelineSpec, workload: str) -> dict[str, Any]:
    port = spec.workloads[workload].port
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": child_name(owner, workload)},
        "spec": {
            "type": "ClusterIP",
            "selector": selector(owner, workload),
            "ports": [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def service_account(owner: Owner, workload: str) -> dict[str, Any]:
    """An identity of its own (for IRSA and audit), with no token mounted by default."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": child_name(owner, workload)},
        "automountServiceAccountToken": False,
    }


def wants_hpa(spec: OrderPipelineSpec, workload: str) -> bool:
    scaling = spec.workloads[workload].autoscaling
    low, high = spec.bounds(workload)
    return scaling is not None and scaling.metric == "cpu" and low != high


def hpa(owner: Owner, spec: OrderPipelineSpec, workload: str) -> dict[str, Any]:
    scaling = spec.workloads[workload].autoscaling
    if scaling is None:
        raise ValueError(f"{workload} has fixed replicas; it gets no HPA")
    low, high = spec.bounds(workload)
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": child_name(owner, workload)},
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": child_name(owner, workload),
            },
            "minReplicas": low,
            "maxReplicas": high,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": scaling.target_cpu_utilization,
                        },
                    },
                }
            ],
            # The spec's cool-down is how long the HPA waits before it removes pods.
            "behavior": {
                "scaleDown": {
                    "stabilizationWindowSeconds": scaling.cooldown_seconds,
                    "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
                }
            },
        },
    }


def wants_pdb(spec: OrderPipelineSpec, workload: str) -> bool:
    return spec.bounds(workload)[0] >= PDB_FROM


def pdb(owner: Owner, workload: str) -> dict[str, Any]:
    """At most one pod down at a time: drains proceed, capacity stays (works with an HPA)."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": child_name(owner, workload)},
        "spec": {
            "maxUnavailable": 1,
            "selector": {"matchLabels": selector(owner, workload)},
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }


# The label every series of a workload carries, naming it: the local Prometheus sets it from its
# target file (operators/local/servers/prometheus.py), a cluster's from this relabeling. Alerts
# and dashboards group and filter by it (observability/alerts/, operators/dashboards/).
WORKLOAD_LABEL = "workload"


def service_monitor(owner: Owner, spec: OrderPipelineSpec, workload: str) -> dict[str, Any]:
    """Scrape the workload's pods through its Service; every series labelled with the workload."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": child_name(owner, workload)},
        "spec": {
            "selector": {"matchLabels": selector(owner, workload)},
            "namespaceSelector": {"matchNames": [owner.namespace]},
            "endpoints": [
                {
                    "port": "http",
                    "path": "/metrics",
                    "interval": spec.monitoring.scrape_interval,
                    # No source labels: the replacement is the value, on every target.
                    "relabelings": [{"targetLabel": WORKLOAD_LABEL, "replacement": workload}],
                }
            ],
        },
    }
