"""The operator's writes and reads of the cluster: apply children, prune leftovers, observe, report.

Children are written with server-side apply under one field manager (`conveyor-operator`) and
`force`: the rendered object is the whole truth about the fields the operator sets, so a spec
change patches just what changed (the object is never recreated, pods roll only when their
template changed), a field edited by hand is taken back, and fields other controllers own (an
HPA's replicas, Deployment status) are left to them. Applying an unchanged object writes nothing,
which is what makes re-applying on every watch event safe. Leftovers (a workload removed from the
spec, an HPA no longer wanted) are found by label and deleted, but only when this pipeline (by
uid) controls them.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any, cast

import httpx2
from lightkube import ALL_NS, ApiError, AsyncClient
from lightkube.core.resource import NamespacedResource
from lightkube.generic_resource import create_namespaced_resource
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.autoscaling_v2 import HorizontalPodAutoscaler
from lightkube.resources.batch_v1 import Job
from lightkube.resources.core_v1 import ConfigMap, Secret, Service, ServiceAccount
from lightkube.resources.networking_v1 import NetworkPolicy
from lightkube.resources.policy_v1 import PodDisruptionBudget
from lightkube.types import CascadeType, PatchType

from operators.pipeline.objects import MANAGED_BY, Owner
from operators.pipeline.spec import API_GROUP
from operators.pipeline.status import WorkloadObservation

FIELD_MANAGER = "conveyor-operator"
HANDOVER_MANAGER = "conveyor-operator-handover"  # holds `replicas` while an HPA takes them over
OWNER_MARK = "conveyor.dev/owner"  # on objects outside the namespace: "<namespace>/<name>"
NOT_FOUND = 404

OrderPipelineResource = create_namespaced_resource(
    API_GROUP, "v1alpha1", "OrderPipeline", "orderpipelines"
)
ServiceMonitor = create_namespaced_resource(
    "monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors"
)
PrometheusRule = create_namespaced_resource(
    "monitoring.coreos.com", "v1", "PrometheusRule", "prometheusrules"
)

RESOURCES: Mapping[str, type[NamespacedResource]] = {
    "ServiceAccount": ServiceAccount,
    "ConfigMap": ConfigMap,
    "NetworkPolicy": NetworkPolicy,
    "Service": Service,
    "Job": Job,
    "Deployment": Deployment,
    "HorizontalPodAutoscaler": HorizontalPodAutoscaler,
    "PodDisruptionBudget": PodDisruptionBudget,
    "ServiceMonitor": ServiceMonitor,
    "PrometheusRule": PrometheusRule,
}
PROMETHEUS_KINDS = frozenset({"ServiceMonitor", "PrometheusRule"})


def resource_of(kind: str) -> type[NamespacedResource]:
    try:
        return RESOURCES[kind]
    except KeyError:
        raise ValueError(f"the operator does not manage {kind} objects") from None


def owned_selector(owner: Owner) -> dict[str, Any]:
    return {"app.kubernetes.io/instance": owner.name, "app.kubernetes.io/managed-by": MANAGED_BY}


def controlled_by(obj: Mapping[str, Any], uid: str) -> bool:
    refs = obj.get("metadata", {}).get("ownerReferences") or []
    return any(ref.get("uid") == uid and ref.get("controller") for ref in refs)


class Children:
    """Reads and writes of one cluster through one client (shared by all handlers)."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    async def prometheus_operator_installed(self, namespace: str) -> bool:
        """Whether the Prometheus Operator's ServiceMonitor and PrometheusRule kinds exist here."""
        for resource in (ServiceMonitor, PrometheusRule):
            try:
                async for _ in self.client.list(resource, namespace=namespace, chunk_size=1):
                    break
            except httpx2.HTTPStatusError as exc:  # an unknown API path is a bare 404
                if exc.response.status_code == NOT_FOUND:
                    return False
                raise
        return True

    async def apply(self, child: Mapping[str, Any]) -> None:
        meta = child["metadata"]
        if child["kind"] == "Deployment" and "replicas" not in child["spec"]:
            await self._hand_over_replicas(meta["name"], meta["namespace"])
        await self.client.patch(
            resource_of(child["kind"]),
            meta["name"],
            dict(child),
            namespace=meta["namespace"],
            patch_type=PatchType.APPLY,
            field_manager=FIELD_MANAGER,
            force=True,
        )

    async def _hand_over_replicas(self, name: str, namespace: str) -> None:
        """Keep the replica count when an HPA takes it over from the operator.

        Applying a Deployment without `replicas` after applying it with them would *remove* the
        field (server-side apply drops what its only manager stops sending), and the Deployment
        would fall back to one replica until the HPA reacts. So the current count is first
        applied under a hand-over manager; the operator's next apply then only gives up its
        share, the value stays, and the HPA's scale updates take it from there.
        """
        try:
            live = plain(await self.client.get(Deployment, name, namespace=namespace))
        except ApiError as exc:
            if exc.status.code == NOT_FOUND:
                return
            raise
        if not owns_replicas(live, FIELD_MANAGER):
            return
        handover = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": live["spec"].get("replicas", 1)},
        }
        await self.client.patch(
            Deployment,
            name,
            handover,
            namespace=namespace,
            patch_type=PatchType.APPLY,
            field_manager=HANDOVER_MANAGER,
            force=True,
        )

    async def prune(
        self, owner: Owner, rendered: Iterable[Mapping[str, Any]], *, prometheus: bool
    ) -> list[str]:
        """Delete children of this pipeline that the spec no longer renders; returns their names."""
        keep = {(c["kind"], c["metadata"]["name"]) for c in rendered}
        removed: list[str] = []
        for kind, resource in RESOURCES.items():
            if kind in PROMETHEUS_KINDS and not prometheus:
                continue
            async for obj in self.client.list(
                resource, namespace=owner.namespace, labels=owned_selector(owner)
            ):
                body = plain(obj)
                name = body["metadata"]["name"]
                if (kind, name) in keep or not controlled_by(body, owner.uid):
                    continue
                await self.delete(kind, name, owner.namespace)
                removed.append(f"{kind}/{name}")
        return removed

    async def remove_elsewhere(self, owner: Owner) -> list[str]:
        """Delete this pipeline's objects in other namespaces, which owner references cannot reach.

        They are recognised by the pipeline's labels and an `conveyor.dev/owner` annotation
        naming `<namespace>/<name>`, so another pipeline of the same name elsewhere is left alone.
        """
        removed: list[str] = []
        mark = f"{owner.namespace}/{owner.name}"
        for kind, resource in RESOURCES.items():
            try:
                found = [
                    plain(obj)
                    async for obj in self.client.list(
                        resource, namespace=ALL_NS, labels=owned_selector(owner)
                    )
                ]
            except httpx2.HTTPStatusError as exc:
                if exc.response.status_code == NOT_FOUND:  # e.g. no Prometheus Operator here
                    continue
                raise
            for body in found:
                meta = body["metadata"]
                annotations = meta.get("annotations") or {}
                if meta["namespace"] != owner.namespace and annotations.get(OWNER_MARK) == mark:
                    await self.delete(kind, meta["name"], meta["namespace"])
                    removed.append(f"{kind}/{meta['namespace']}/{meta['name']}")
        return removed

    async def delete(self, kind: str, name: str, namespace: str) -> None:
        try:
            # Background: dependents go too (a Job's pods; the API default for Jobs orphans them).
            await self.client.delete(
                resource_of(kind), name, namespace=namespace, cascade=CascadeType.BACKGROUND
            )
        except ApiError as exc:
            if exc.status.code != NOT_FOUND:
                raise

    async def observe(self, owner: Owner) -> dict[str, WorkloadObservation]:
        """Each workload's Deployment as the controllers report it, keyed by workload name."""
        seen: dict[str, WorkloadObservation] = {}
        async for deployment in self.client.list(
            Deployment, namespace=owner.namespace, labels=owned_selector(owner)
        ):
            body = plain(deployment)
            if not controlled_by(body, owner.uid):
                continue
            workload = body["metadata"]["labels"].get("app.kubernetes.io/component", "")
            seen[workload] = observation(body)
        return seen

    async def secret_data(
        self, name: str, namespace: str, *, keys: Iterable[str]
    ) -> dict[str, str]:
        """The named keys of one Secret, decoded (the Kafka credentials the spec names)."""
        found = plain(await self.client.get(Secret, name, namespace=namespace))
        data = found.get("data") or {}
        return {key: base64.b64decode(data[key]).decode() for key in keys if key in data}

    async def pipeline(self, name: str, namespace: str) -> dict[str, Any] | None:
        try:
            found = await self.client.get(OrderPipelineResource, name, namespace=namespace)
        except ApiError as exc:
            if exc.status.code == NOT_FOUND:
                return None
            raise
        return plain(found)

    async def report(
        self,
        name: str,
        namespace: str,
        status: Mapping[str, Any],
        *,
        resource_version: str | None = None,
    ) -> None:
        """Write the pipeline's status; with `resource_version`, only over that version of the
        pipeline (the API server answers 409 Conflict when it has changed since)."""
        patch: dict[str, Any] = {"status": dict(status)}
        if resource_version is not None:
            patch["metadata"] = {"resourceVersion": resource_version}
        await self.client.patch(
            OrderPipelineResource.Status,
            name,
            patch,
            namespace=namespace,
            patch_type=PatchType.MERGE,
        )

    async def annotate(self, name: str, namespace: str, annotations: Mapping[str, str]) -> None:
        await self.client.patch(
            OrderPipelineResource,
            name,
            {"metadata": {"annotations": dict(annotations)}},
            namespace=namespace,
            patch_type=PatchType.MERGE,
        )


def owns_replicas(deployment: Mapping[str, Any], manager: str) -> bool:
    """Whether `manager` applied `spec.replicas` of this Deployment (per its managedFields)."""
    for entry in deployment.get("metadata", {}).get("managedFields") or []:
        if entry.get("manager") == manager and entry.get("operation") == "Apply":
            spec = (entry.get("fieldsV1") or {}).get("f:spec") or {}
            if "f:replicas" in spec:
                return True
    return False


def plain(obj: Any) -> dict[str, Any]:
    """A lightkube object as the JSON the API server sent."""
    return cast(dict[str, Any], obj.to_dict())


def observation(deployment: Mapping[str, Any]) -> WorkloadObservation:
    """A Deployment's readiness as the Deployment controller computed it."""
    spec = deployment.get("spec") or {}
    status = deployment.get("status") or {}
    stale = status.get("observedGeneration", 0) < deployment["metadata"].get("generation", 0)
    conditions = {c.get("type"): c for c in status.get("conditions") or []}
    progressing = conditions.get("Progressing") or {}
    return WorkloadObservation(
        desired=int(spec.get("replicas", 1)),
        ready=0 if stale else int(status.get("readyReplicas", 0)),
        updated=0 if stale else int(status.get("updatedReplicas", 0)),
        available=0 if stale else int(status.get("availableReplicas", 0)),
        exists=True,
        progress_deadline_exceeded=progressing.get("reason") == "ProgressDeadlineExceeded",
    )
