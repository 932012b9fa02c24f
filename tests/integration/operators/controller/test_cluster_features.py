"""What depends on the cluster: the scale subresource, the Prometheus Operator's kinds."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.operators.controller.cluster_tools import Kubectl, pipeline, wait_for
from tests.integration.operators.controller.test_reconcile import create

PROMETHEUS_KINDS = {"ServiceMonitor": "servicemonitors", "PrometheusRule": "prometheusrules"}


def _crd(kind: str, plural: str) -> dict[str, Any]:
    """The Prometheus Operator's CRD in the shape that matters here (names, scope, version)."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.monitoring.coreos.com"},
        "spec": {
            "group": "monitoring.coreos.com",
            "scope": "Namespaced",
            "names": {"kind": kind, "plural": plural, "singular": kind.lower()},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                        }
                    },
                }
            ],
        },
    }


@pytest.fixture
def prometheus_operator_crds(kubectl: Kubectl) -> Iterator[None]:
    for kind, plural in PROMETHEUS_KINDS.items():
        kubectl.apply(_crd(kind, plural))
    kubectl.run("wait", "--for=condition=Established", "--timeout=30s", "crd", "--all")
    yield
    for plural in PROMETHEUS_KINDS.values():
        kubectl.attempt("delete", "crd", f"{plural}.monitoring.coreos.com", "--wait=true")


@pytest.mark.usefixtures("operator", "prometheus_operator_crds")
def test_with_the_prometheus_operator_each_workload_gets_a_service_monitor_and_slo_rules(
    kubectl: Kubectl, namespace: str
) -> None:
    kubectl.apply(pipeline("local", namespace))

    def monitors() -> list[dict[str, Any]] | None:
        found = kubectl.items("servicemonitors", namespace)
        return found if len(found) == 4 else None

    found = wait_for("a ServiceMonitor per workload", monitors)
    assert {m["metadata"]["name"] for m in found} == {
        f"conveyor-{w}" for w in ("inventory", "notification", "order", "payment")
    }
    rules = wait_for(
        "the SLO PrometheusRule", lambda: kubectl.items("prometheusrules", namespace) or None
    )
    groups = rules[0]["spec"]["groups"]
    assert any("burn" in json.dumps(g).lower() for g in groups)


@pytest.mark.usefixtures("operator")
def test_the_scale_subresource_scales_the_whole_pipeline(kubectl: Kubectl, namespace: str) -> None:
    create(kubectl, "local", namespace)
    kubectl.run("scale", "orderpipeline", "conveyor", "-n", namespace, "--replicas=2")

    def doubled() -> bool:
        deployments = kubectl.items("deployments", namespace)
        return len(deployments) == 4 and all(d["spec"]["replicas"] == 2 for d in deployments)

    wait_for("every Deployment to run two replicas", doubled)
    scale = json.loads(
        kubectl.run("get", "--raw", f"/apis/conveyor.dev/v1alpha1/namespaces/{namespace}"
                    "/orderpipelines/conveyor/scale")
    )  # fmt: skip
    assert scale["spec"]["replicas"] == 2


@pytest.mark.usefixtures("operator")
def test_moving_a_workload_to_an_hpa_keeps_its_replica_count(
    kubectl: Kubectl, namespace: str
) -> None:
    body = pipeline("local", namespace)
    body["spec"]["workloads"]["order"]["replicas"] = 3
    kubectl.apply(body)
    wait_for(
        "order at 3 replicas",
        lambda: (
            (kubectl.get("deployment", "conveyor-order", namespace) or {})
            .get("spec", {})
            .get("replicas")
            == 3
        ),
    )
    autoscaling = {"minReplicas": 2, "maxReplicas": 6, "metric": "cpu"}
    kubectl.run(
        "patch", "orderpipeline", "conveyor", "-n", namespace, "--type=json", "-p",
        json.dumps([
            {"op": "remove", "path": "/spec/workloads/order/replicas"},
            {"op": "add", "path": "/spec/workloads/order/autoscaling", "value": autoscaling},
        ]),
    )  # fmt: skip
    wait_for("the HPA", lambda: kubectl.get("hpa", "conveyor-order", namespace))
    time.sleep(2)  # the operator applies the Deployment right after the HPA
    deployment = json.loads(
        kubectl.run(
            "get", "deployment", "conveyor-order", "-n", namespace, "-o", "json",
            "--show-managed-fields",
        )
    )  # fmt: skip
    assert deployment["spec"]["replicas"] == 3, "the count fell back when the HPA took over"
    managers = {
        e["manager"]
        for e in deployment["metadata"]["managedFields"]
        if "f:replicas" in (e.get("fieldsV1") or {}).get("f:spec", {})
    }
    assert "conveyor-operator" not in managers
