"""What depends on the cluster: the scale subresource, the Prometheus Operator's kinds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.operators.controller.cluster_tools import Kubectl, pipeline
from tests.integration.operators.controller.test_reconcile import create, handled_creation
from tests.support.eventually import eventually_sync

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

    def monitors() -> list[dict[str, Any]]:
        found = kubectl.items("servicemonitors", namespace)
        assert len(found) == 8, f"{len(found)} ServiceMonitors so far, one per workload wanted"
        return found

    found = eventually_sync(monitors, within_s=20)
    assert {m["metadata"]["name"] for m in found} == {
        f"conveyor-{w}"
        for w in (
            "catalog",
            "gateway",
            "identity",
            "inventory",
            "notification",
            "order",
            "payment",
            "shipping",
        )
    }

    def slo_rules() -> list[dict[str, Any]]:
        found = kubectl.items("prometheusrules", namespace)
        assert found, "no SLO PrometheusRule yet"
        return found

    rules = eventually_sync(slo_rules, within_s=20)
    groups = rules[0]["spec"]["groups"]
    assert any("burn" in json.dumps(g).lower() for g in groups)


@pytest.mark.usefixtures("operator")
def test_the_scale_subresource_scales_the_whole_pipeline(kubectl: Kubectl, namespace: str) -> None:
    create(kubectl, "local", namespace)
    kubectl.run("scale", "orderpipeline", "conveyor", "-n", namespace, "--replicas=2")

    def doubled() -> None:
        replicas = {d["metadata"]["name"]: d["spec"]["replicas"] for d in
                    kubectl.items("deployments", namespace)}  # fmt: skip
        assert len(replicas) == 8, replicas
        assert set(replicas.values()) == {2}, f"not every Deployment runs two yet: {replicas}"

    eventually_sync(doubled, within_s=20)
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

    def three() -> None:
        found = kubectl.get("deployment", "conveyor-order", namespace) or {}
        assert found.get("spec", {}).get("replicas") == 3, "order not at 3 replicas yet"

    eventually_sync(three, within_s=20)
    handled_creation(kubectl, namespace)
    autoscaling = {"minReplicas": 2, "maxReplicas": 6, "metric": "cpu"}
    kubectl.run(
        "patch", "orderpipeline", "conveyor", "-n", namespace, "--type=json", "-p",
        json.dumps([
            {"op": "remove", "path": "/spec/workloads/order/replicas"},
            {"op": "add", "path": "/spec/workloads/order/autoscaling", "value": autoscaling},
        ]),
    )  # fmt: skip

    # The operator applies the HPA, then the Deployment without a replica count: the observable
    # sign that it did is that its apply no longer owns spec.replicas. Only then does the count
    # tell whether it fell back.
    def released() -> dict[str, Any]:
        assert kubectl.get("hpa", "conveyor-order", namespace) is not None, "no HPA yet"
        deployment: dict[str, Any] = json.loads(
            kubectl.run(
                "get", "deployment", "conveyor-order", "-n", namespace, "-o", "json",
                "--show-managed-fields",
            )
        )  # fmt: skip
        managers = {
            e["manager"]
            for e in deployment["metadata"]["managedFields"]
            if "f:replicas" in (e.get("fieldsV1") or {}).get("f:spec", {})
        }
        assert "conveyor-operator" not in managers, "the operator still owns spec.replicas"
        return deployment

    deployment = eventually_sync(released, within_s=20)
    assert deployment["spec"]["replicas"] == 3, "the count fell back when the HPA took over"
