"""The operator on a real API server: children, owner references, patches, repair, deletion."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from operators.local.kube.operator_process import OperatorProcess
from operators.pipeline.objects import MANAGED_BY, Owner
from operators.pipeline.render import render_children
from operators.pipeline.spec import OrderPipelineSpec
from tests.integration.operators.controller.cluster_tools import (
    Kubectl,
    pipeline,
    wait_for,
)

KINDS = "serviceaccounts,configmaps,networkpolicies,services,deployments,hpa,pdb"
SELECTOR = f"app.kubernetes.io/managed-by={MANAGED_BY},app.kubernetes.io/instance=conveyor"


def children(kubectl: Kubectl, namespace: str) -> list[dict[str, Any]]:
    return kubectl.items(KINDS, namespace, SELECTOR)


def names(items: list[dict[str, Any]]) -> set[str]:
    return {f"{i['kind']}/{i['metadata']['name']}" for i in items}


def expected(example: str) -> set[str]:
    """What rendering says the example owns (without the Prometheus Operator)."""
    body = pipeline(example, "ns")
    spec = OrderPipelineSpec.model_validate(body["spec"])
    owner = Owner("conveyor.dev/v1alpha1", "OrderPipeline", "conveyor", "ns", "uid")
    rendered = render_children(owner, spec, prometheus_operator=False)
    return {f"{c['kind']}/{c['metadata']['name']}" for c in rendered}


def create(kubectl: Kubectl, example: str, namespace: str) -> dict[str, Any]:
    kubectl.apply(pipeline(example, namespace))
    want = expected(example)
    wait_for(
        f"every child of the {example} example",
        lambda: names(children(kubectl, namespace)) >= want or None,
    )
    found = kubectl.get("orderpipeline", "conveyor", namespace)
    assert found is not None
    return found


@pytest.mark.usefixtures("operator")
@pytest.mark.parametrize("example", ["local", "dev", "prod"])
def test_applying_an_example_creates_every_child_owned_by_the_pipeline(
    kubectl: Kubectl, namespace: str, example: str
) -> None:
    owner = create(kubectl, example, namespace)
    found = children(kubectl, namespace)
    assert names(found) == expected(example)
    for child in found:
        refs = child["metadata"]["ownerReferences"]
        assert refs == [
            {
                "apiVersion": "conveyor.dev/v1alpha1",
                "kind": "OrderPipeline",
                "name": "conveyor",
                "uid": owner["metadata"]["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ], child["metadata"]["name"]
        labels = child["metadata"]["labels"]
        assert labels["app.kubernetes.io/part-of"] == "conveyor"
        assert labels["app.kubernetes.io/managed-by"] == MANAGED_BY


@pytest.mark.usefixtures("operator")
def test_a_spec_change_patches_children_in_place(kubectl: Kubectl, namespace: str) -> None:
    create(kubectl, "local", namespace)
    before = kubectl.get("deployment", "conveyor-payment", namespace)
    assert before is not None
    patch = {"spec": {"workloads": {"payment": {"image": "conveyor/payment:v2", "replicas": 2}}}}
    kubectl.run(
        "patch", "orderpipeline", "conveyor", "-n", namespace, "--type=merge", "-p",
        json.dumps(patch),
    )  # fmt: skip

    def patched() -> dict[str, Any] | None:
        found = kubectl.get("deployment", "conveyor-payment", namespace)
        if found and found["spec"]["replicas"] == 2:
            return found
        return None

    after = wait_for("the payment Deployment to take the new spec", patched)
    assert after["metadata"]["uid"] == before["metadata"]["uid"], "recreated, not patched"
    containers = after["spec"]["template"]["spec"]["containers"]
    assert containers[0]["image"] == "conveyor/payment:v2"
    untouched = kubectl.get("deployment", "conveyor-order", namespace)
    assert untouched is not None
    assert untouched["metadata"]["generation"] == 1


@pytest.mark.usefixtures("operator")
@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("deployment", "conveyor-inventory"),
        ("service", "conveyor-order"),
        ("configmap", "conveyor-payment"),
        ("networkpolicy", "conveyor-notification"),
        ("serviceaccount", "conveyor-order"),
    ],
)
def test_a_child_deleted_by_hand_is_recreated(
    kubectl: Kubectl, namespace: str, kind: str, name: str
) -> None:
    create(kubectl, "local", namespace)
    before = kubectl.get(kind, name, namespace)
    assert before is not None
    kubectl.run("delete", kind, name, "-n", namespace, "--wait=true")

    def recreated() -> dict[str, Any] | None:
        found = kubectl.get(kind, name, namespace)
        return found if found and found["metadata"]["uid"] != before["metadata"]["uid"] else None

    wait_for(f"{kind}/{name} to be recreated", recreated, timeout_s=10)

    def repair_event() -> bool:
        events = kubectl.run("get", "events", "-n", namespace, "-o", "json")
        return any(
            e["reason"] == "Repaired" and e["involvedObject"]["kind"] == "OrderPipeline"
            for e in json.loads(events)["items"]
        )

    wait_for("a Repaired Event on the pipeline", repair_event)


@pytest.mark.usefixtures("operator")
def test_a_child_edited_by_hand_is_restored(kubectl: Kubectl, namespace: str) -> None:
    create(kubectl, "local", namespace)
    kubectl.run(
        "set", "image", "deployment/conveyor-order", "order=evil/image:latest", "-n", namespace
    )
    kubectl.run(
        "patch", "configmap", "conveyor-order", "-n", namespace, "--type=merge",
        "-p", json.dumps({"data": {"SAGA_STEP_TIMEOUT_S": "1"}}),
    )  # fmt: skip

    def restored() -> bool:
        deployment = kubectl.get("deployment", "conveyor-order", namespace)
        config = kubectl.get("configmap", "conveyor-order", namespace)
        assert deployment is not None
        assert config is not None
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        timeout = config["data"]["SAGA_STEP_TIMEOUT_S"]
        return bool(image == "conveyor/order:dev" and timeout == "30")

    wait_for("the hand edits to be undone", restored, timeout_s=10)


@pytest.mark.usefixtures("operator")
def test_deleting_the_pipeline_deletes_its_children_and_what_lies_outside_the_namespace(
    kubectl: Kubectl, namespace: str
) -> None:
    owner = create(kubectl, "local", namespace)
    assert "conveyor.dev/cleanup" in owner["metadata"]["finalizers"]
    elsewhere: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"{namespace}-conveyor-extra",
            "namespace": "default",
            "labels": {
                "app.kubernetes.io/instance": "conveyor",
                "app.kubernetes.io/managed-by": MANAGED_BY,
            },
            "annotations": {"conveyor.dev/owner": f"{namespace}/conveyor"},
        },
        "data": {"k": "v"},
    }
    kubectl.apply(elsewhere)
    kubectl.run("delete", "orderpipeline", "conveyor", "-n", namespace, "--timeout=20s")
    wait_for(
        "the garbage collector to remove the children", lambda: not children(kubectl, namespace)
    )
    assert kubectl.get("configmap", elsewhere["metadata"]["name"], "default") is None


@pytest.mark.usefixtures("operator")
def test_status_reports_generation_conditions_and_readiness(
    kubectl: Kubectl, namespace: str
) -> None:
    create(kubectl, "local", namespace)

    def progressing() -> dict[str, Any] | None:
        found = kubectl.get("orderpipeline", "conveyor", namespace)
        status = (found or {}).get("status") or {}
        return status if status.get("phase") == "Progressing" else None

    status = wait_for("phase Progressing while no pod is ready", progressing)
    assert status["observedGeneration"] == 1
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Ready"]["status"] == "False"
    assert all(c["observedGeneration"] == 1 for c in conditions.values())
    assert status["ready"] == "0/4"

    mark_pods_ready(kubectl, namespace, expected_pods=4)

    def ready() -> dict[str, Any] | None:
        found = kubectl.get("orderpipeline", "conveyor", namespace)
        status = (found or {}).get("status") or {}
        return status if status.get("phase") == "Ready" else None

    status = wait_for("phase Ready once every pod reports ready", ready)
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Ready"]["status"] == "True"
    assert status["ready"] == "4/4"
    printed = kubectl.run("get", "orderpipeline", "conveyor", "-n", namespace)
    assert "Ready" in printed
    assert "4/4" in printed

    kubectl.run(
        "patch", "orderpipeline", "conveyor", "-n", namespace, "--type=merge",
        "-p", json.dumps({"spec": {"workloads": {"order": {"replicas": 2}}}}),
    )  # fmt: skip

    def second_generation() -> dict[str, Any] | None:
        found = kubectl.get("orderpipeline", "conveyor", namespace)
        status = (found or {}).get("status") or {}
        return status if status.get("observedGeneration") == 2 else None

    status = wait_for("observedGeneration 2 after a spec change", second_generation)
    assert all(c["observedGeneration"] == 2 for c in status["conditions"])


@pytest.mark.usefixtures("operator")
def test_a_paused_pipeline_is_left_alone_until_resumed(kubectl: Kubectl, namespace: str) -> None:
    create(kubectl, "local", namespace)
    pause = {"spec": {"paused": True}}
    kubectl.run(
        "patch", "orderpipeline", "conveyor", "-n", namespace, "--type=merge", "-p",
        json.dumps(pause),
    )  # fmt: skip

    def paused() -> bool:
        found = kubectl.get("orderpipeline", "conveyor", namespace)
        return ((found or {}).get("status") or {}).get("phase") == "Paused"

    wait_for("phase Paused", paused)
    kubectl.run("delete", "service", "conveyor-order", "-n", namespace)
    time.sleep(3)
    assert kubectl.get("service", "conveyor-order", namespace) is None, "repaired while paused"
    kubectl.run(
        "patch", "orderpipeline", "conveyor", "-n", namespace, "--type=merge", "-p",
        json.dumps({"spec": {"paused": False}}),
    )  # fmt: skip
    wait_for(
        "the Service to come back after resuming",
        lambda: kubectl.get("service", "conveyor-order", namespace),
        timeout_s=10,
    )


def test_the_liveness_probe_reports_a_live_watch(operator: OperatorProcess) -> None:
    response = operator.health()
    assert response is not None
    assert response.status_code == 200
    assert response.json() == {"watch": "watching"}


def mark_pods_ready(kubectl: Kubectl, namespace: str, expected_pods: int) -> None:
    """Play the kubelet: report every pod of the namespace running and ready."""
    pods = wait_for(
        f"the ReplicaSets to create {expected_pods} pods",
        lambda: found if len(found := kubectl.items("pods", namespace)) >= expected_pods else None,
    )
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    status = {
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": kind, "status": "True", "lastTransitionTime": now}
                for kind in ("PodScheduled", "Initialized", "ContainersReady", "Ready")
            ],
        }
    }
    for pod in pods:
        kubectl.run(
            "patch", "pod", pod["metadata"]["name"], "-n", namespace, "--subresource=status",
            "--type=merge", "-p", json.dumps(status),
        )  # fmt: skip


@pytest.mark.usefixtures("operator")
def test_a_workload_removed_from_the_spec_loses_its_children(
    kubectl: Kubectl, namespace: str
) -> None:
    create(kubectl, "local", namespace)
    kubectl.run(
        "patch", "orderpipeline", "conveyor", "-n", namespace, "--type=json",
        "-p", json.dumps([{"op": "remove", "path": "/spec/workloads/notification"}]),
    )  # fmt: skip
    wait_for(
        "the notification children to be pruned",
        lambda: not any("notification" in n for n in names(children(kubectl, namespace))),
    )
    assert {n for n in expected("local") if "notification" not in n} == names(
        children(kubectl, namespace)
    )


@pytest.mark.usefixtures("operator")
def test_a_refused_child_shows_in_the_status_and_an_event(kubectl: Kubectl, namespace: str) -> None:
    # Someone's Deployment already holds the name, with another (immutable) selector: the API
    # server refuses the operator's apply of it, every time, until it is removed.
    squatter = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "conveyor-order", "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": {"app": "squatter"}},
            "template": {
                "metadata": {"labels": {"app": "squatter"}},
                "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]},
            },
        },
    }
    kubectl.apply(squatter)
    kubectl.apply(pipeline("local", namespace))

    def failed() -> dict[str, Any] | None:
        found = kubectl.get("orderpipeline", "conveyor", namespace)
        status = (found or {}).get("status") or {}
        return status if status.get("phase") == "Failed" else None

    status = wait_for("phase Failed with the server's reason", failed)
    degraded = next(c for c in status["conditions"] if c["type"] == "Degraded")
    assert degraded["status"] == "True"
    assert "Deployment/conveyor-order" in degraded["message"]
    assert "immutable" in degraded["message"]

    def warning() -> bool:
        events = json.loads(kubectl.run("get", "events", "-n", namespace, "-o", "json"))
        return any(
            e["type"] == "Warning"
            and e["involvedObject"]["kind"] == "OrderPipeline"
            and e["reason"] == "ApplyFailed"
            for e in events["items"]
        )

    wait_for("a Warning Event on the pipeline", warning)
    kubectl.run("delete", "deployment", "conveyor-order", "-n", namespace, "--wait=true")

    def recovered() -> bool:
        found = kubectl.get("orderpipeline", "conveyor", namespace)
        return ((found or {}).get("status") or {}).get("phase") == "Progressing"

    wait_for("the pipeline to recover once the name is free", recovered, timeout_s=30)
