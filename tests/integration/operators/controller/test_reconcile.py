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
from tests.integration.operators.controller.cluster_tools import Kubectl, handled, pipeline
from tests.support.eventually import eventually_sync

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
    wait_for_children(kubectl, namespace, expected(example))
    return handled_creation(kubectl, namespace)


LAST_HANDLED = "conveyor.dev/last-handled-configuration"  # kopf, under our prefix


def handled_creation(kubectl: Kubectl, namespace: str) -> dict[str, Any]:
    """The pipeline once kopf has finished its creation handlers (reconcile, then topics).

    kopf records the spec it handled when the whole cycle ends; a spec edited before that is
    taken as already handled and waits for the resync timer, so tests edit only after it.
    """

    def done() -> dict[str, Any]:
        found = kubectl.get("orderpipeline", "conveyor", namespace)
        assert found is not None
        assert LAST_HANDLED in found["metadata"].get("annotations", {}), "creation not handled"
        return found

    return eventually_sync(done, within_s=30)


def wait_for_children(kubectl: Kubectl, namespace: str, want: set[str]) -> None:
    def every_child() -> None:
        missing = want - names(children(kubectl, namespace))
        assert not missing, f"children not created yet: {sorted(missing)}"

    eventually_sync(every_child, within_s=20)


def pipeline_status(kubectl: Kubectl, namespace: str) -> dict[str, Any]:
    found = kubectl.get("orderpipeline", "conveyor", namespace)
    status: dict[str, Any] = (found or {}).get("status") or {}
    return status


def wait_for_status(kubectl: Kubectl, namespace: str, **wanted: Any) -> dict[str, Any]:
    """The pipeline's status once it shows every `wanted` field (phase=..., ...)."""

    def showing() -> dict[str, Any]:
        status = pipeline_status(kubectl, namespace)
        shown = {key: status.get(key) for key in wanted}
        assert shown == wanted, f"status shows {shown}, waiting for {wanted}"
        return status

    return eventually_sync(showing, within_s=20)


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

    def patched() -> dict[str, Any]:
        found = kubectl.get("deployment", "conveyor-payment", namespace)
        assert found is not None
        assert found["spec"]["replicas"] == 2, "the payment Deployment has the old spec"
        return found

    after = eventually_sync(patched, within_s=20)
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

    def recreated() -> None:
        found = kubectl.get(kind, name, namespace)
        assert found is not None, f"{kind}/{name} not recreated yet"
        assert found["metadata"]["uid"] != before["metadata"]["uid"]

    eventually_sync(recreated, within_s=10)

    def repair_event() -> None:
        events = kubectl.run("get", "events", "-n", namespace, "-o", "json")
        assert any(
            e["reason"] == "Repaired" and e["involvedObject"]["kind"] == "OrderPipeline"
            for e in json.loads(events)["items"]
        ), "no Repaired Event on the pipeline yet"

    eventually_sync(repair_event, within_s=20)


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

    def restored() -> None:
        deployment = kubectl.get("deployment", "conveyor-order", namespace)
        config = kubectl.get("configmap", "conveyor-order", namespace)
        assert deployment is not None
        assert config is not None
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        timeout = config["data"]["SAGA_STEP_TIMEOUT_S"]
        assert (image, timeout) == ("conveyor/order:dev", "30"), "hand edits not undone yet"

    eventually_sync(restored, within_s=10)


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

    def collected() -> None:
        left = names(children(kubectl, namespace))
        assert not left, f"the garbage collector has not removed {sorted(left)} yet"

    eventually_sync(collected, within_s=20)
    assert kubectl.get("configmap", elsewhere["metadata"]["name"], "default") is None


@pytest.mark.usefixtures("operator")
def test_status_reports_generation_conditions_and_readiness(
    kubectl: Kubectl, namespace: str
) -> None:
    workloads = len(create(kubectl, "local", namespace)["spec"]["workloads"])

    status = wait_for_status(kubectl, namespace, phase="Progressing")  # no pod is ready
    assert status["observedGeneration"] == 1
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Ready"]["status"] == "False"
    assert all(c["observedGeneration"] == 1 for c in conditions.values())
    assert status["ready"] == f"0/{workloads}"

    mark_pods_ready(kubectl, namespace, expected_pods=workloads)

    status = wait_for_status(kubectl, namespace, phase="Ready")  # every pod reports ready
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Ready"]["status"] == "True"
    assert status["ready"] == f"{workloads}/{workloads}"
    printed = kubectl.run("get", "orderpipeline", "conveyor", "-n", namespace)
    assert "Ready" in printed
    assert f"{workloads}/{workloads}" in printed

    kubectl.run(
        "patch", "orderpipeline", "conveyor", "-n", namespace, "--type=merge",
        "-p", json.dumps({"spec": {"workloads": {"order": {"replicas": 2}}}}),
    )  # fmt: skip

    status = wait_for_status(kubectl, namespace, observedGeneration=2)  # after the spec change
    assert all(c["observedGeneration"] == 2 for c in status["conditions"])


def test_a_paused_pipeline_is_left_alone_until_resumed(
    kubectl: Kubectl, operator: OperatorProcess, namespace: str
) -> None:
    create(kubectl, "local", namespace)
    pause = {"spec": {"paused": True}}
    kubectl.run(
        "patch", "orderpipeline", "conveyor", "-n", namespace, "--type=merge", "-p",
        json.dumps(pause),
    )  # fmt: skip

    wait_for_status(kubectl, namespace, phase="Paused")
    seen_before = handled(operator, "repair-services", "Service", "conveyor-order", namespace)
    kubectl.run("delete", "service", "conveyor-order", "-n", namespace, "--wait=true")

    # The repair handler logs each Service event it handled; once it has handled the deletion,
    # the operator had its chance to recreate the Service, and a repair would have come first.
    def deletion_handled() -> None:
        seen = handled(operator, "repair-services", "Service", "conveyor-order", namespace)
        assert seen > seen_before, "the operator has not handled the deletion yet"

    eventually_sync(deletion_handled, within_s=10)
    assert kubectl.get("service", "conveyor-order", namespace) is None, "repaired while paused"
    kubectl.run(
        "patch", "orderpipeline", "conveyor", "-n", namespace, "--type=merge", "-p",
        json.dumps({"spec": {"paused": False}}),
    )  # fmt: skip

    def back() -> None:
        assert kubectl.get("service", "conveyor-order", namespace), "not back after resuming"

    eventually_sync(back, within_s=10)


def test_the_liveness_probe_reports_a_live_watch(operator: OperatorProcess) -> None:
    response = operator.health()
    assert response is not None
    assert response.status_code == 200
    assert response.json() == {"watch": "watching"}


def mark_pods_ready(kubectl: Kubectl, namespace: str, expected_pods: int) -> None:
    """Play the kubelet: report every pod of the namespace running and ready."""

    def created() -> list[dict[str, Any]]:
        found = kubectl.items("pods", namespace)
        assert len(found) >= expected_pods, f"the ReplicaSets created {len(found)} pods so far"
        return found

    pods = eventually_sync(created, within_s=20)
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
        "-p", json.dumps([
            {"op": "remove", "path": "/spec/workloads/notification"},
            {"op": "remove", "path": "/spec/resiliency/targets/notification"},  # the gateway's
        ]),
    )  # fmt: skip

    def pruned() -> None:
        left = {n for n in names(children(kubectl, namespace)) if "notification" in n}
        assert not left, f"not pruned yet: {sorted(left)}"

    eventually_sync(pruned, within_s=20)
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

    status = wait_for_status(kubectl, namespace, phase="Failed")
    degraded = next(c for c in status["conditions"] if c["type"] == "Degraded")
    assert degraded["status"] == "True"
    assert "Deployment/conveyor-order" in degraded["message"]
    assert "immutable" in degraded["message"]

    def warning() -> None:
        events = json.loads(kubectl.run("get", "events", "-n", namespace, "-o", "json"))
        assert any(
            e["type"] == "Warning"
            and e["involvedObject"]["kind"] == "OrderPipeline"
            and e["reason"] == "ApplyFailed"
            for e in events["items"]
        ), "no ApplyFailed Warning Event on the pipeline yet"

    eventually_sync(warning, within_s=20)
    kubectl.run("delete", "deployment", "conveyor-order", "-n", namespace, "--wait=true")

    def recovered() -> None:
        phase = pipeline_status(kubectl, namespace).get("phase")
        assert phase == "Progressing", f"phase {phase} once the name is free"

    eventually_sync(recovered, within_s=30)
