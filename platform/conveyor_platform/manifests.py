"""Kubernetes manifests read from the repository (CRDs, operator deployment), and the files of
observability/ the cluster's Grafana and Prometheus are given (dashboards, alert rules).

Plain YAML parsed here and declared as typed pulumi-kubernetes resources, not `ConfigFile`:
under the SDK's mocks ConfigFile parses through an invoke, so neither the tests nor the policy
checks could see the objects. A kind this table does not know fails loudly with the file name.
Missing manifest directories simply yield nothing (the operator's files land in their own
change); a missing or empty dashboards or alerts folder fails, naming it: a cluster without its
dashboards or alerts is a broken cluster, not a smaller one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from conveyor_platform.paths import REPO_ROOT

CRDS_DIR = REPO_ROOT / "operators" / "crds"
DEPLOY_DIR = REPO_ROOT / "operators" / "deploy"
DASHBOARDS_DIR = REPO_ROOT / "observability" / "dashboards"
ALERTS_DIR = REPO_ROOT / "observability" / "alerts"

Factory = Callable[..., pulumi.CustomResource]

KINDS: dict[tuple[str, str], Factory] = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("v1", "Service"): k8s.core.v1.Service,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): k8s.rbac.v1.ClusterRole,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): k8s.rbac.v1.ClusterRoleBinding,
    ("rbac.authorization.k8s.io/v1", "Role"): k8s.rbac.v1.Role,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): k8s.rbac.v1.RoleBinding,
    ("policy/v1", "PodDisruptionBudget"): k8s.policy.v1.PodDisruptionBudget,
    ("networking.k8s.io/v1", "NetworkPolicy"): k8s.networking.v1.NetworkPolicy,
    ("scheduling.k8s.io/v1", "PriorityClass"): k8s.scheduling.v1.PriorityClass,
    (
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
    ): k8s.apiextensions.v1.CustomResourceDefinition,
}
CLUSTER_SCOPED = frozenset(
    {"Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass", "CustomResourceDefinition"}
)


@dataclass(frozen=True)
class Manifest:
    source: str  # file name, for error messages
    document: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.document.get("kind", ""))

    @property
    def name(self) -> str:
        return str(self.document.get("metadata", {}).get("name", ""))


def read(directory: Path) -> list[Manifest]:
    """Every object in `directory/*.yaml`, in file then document order."""
    if not directory.is_dir():
        return []
    manifests = []
    for path in sorted(directory.glob("*.y*ml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(document, dict) and document.get("kind"):
                manifests.append(Manifest(path.name, document))
    return manifests


def _files(directory: Path, pattern: str, made_by: str) -> list[Path]:
    found = sorted(directory.glob(pattern)) if directory.is_dir() else []
    if not found:
        raise FileNotFoundError(f"no {pattern} in {directory}: {made_by}")
    return found


def dashboards(directory: Path = DASHBOARDS_DIR) -> dict[str, str]:
    """Grafana dashboards (`*.json`) by file name, for ConfigMaps the Grafana sidecar loads."""
    paths = _files(directory, "*.json", "run `make dashboards`")
    return {p.name: p.read_text(encoding="utf-8") for p in paths}


def alert_rules(directory: Path = ALERTS_DIR) -> dict[str, dict[str, Any]]:
    """The hand-written alerts (`*.yaml`, Prometheus rule files) by file stem."""
    paths = _files(directory, "*.yaml", "the alerts that are not SLOs live there")
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in paths}


def cluster_scoped_kinds(found: list[Manifest]) -> frozenset[str]:
    """Kinds that CRDs among `found` declare with `scope: Cluster` (they take no namespace)."""
    return frozenset(
        str(m.document["spec"]["names"]["kind"])
        for m in found
        if m.kind == "CustomResourceDefinition"
        and m.document.get("spec", {}).get("scope") == "Cluster"
    )


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def declare(
    manifest: Manifest,
    *,
    default_namespace: str,
    opts: pulumi.ResourceOptions,
    cluster_scoped_custom: frozenset[str] = frozenset(),
) -> pulumi.CustomResource:
    document = dict(manifest.document)
    api_version, kind = document.pop("apiVersion", ""), document.pop("kind")
    metadata = dict(document.pop("metadata", {}))
    factory = KINDS.get((api_version, kind))
    namespaced = kind not in CLUSTER_SCOPED and kind not in cluster_scoped_custom
    if namespaced:
        metadata.setdefault("namespace", default_namespace)
    logical = f"{kind.lower()}-{metadata.get('namespace', '_')}-{metadata.get('name', '')}"
    if factory is None:
        if "." not in api_version.split("/")[0] or set(document) - {"spec"}:
            raise ValueError(
                f"{manifest.source}: no typed resource for {api_version} {kind}; add it to KINDS"
            )
        # A custom resource of a CRD declared alongside (e.g. kopf's ClusterKopfPeering).
        return k8s.apiextensions.CustomResource(
            logical,
            api_version=api_version,
            kind=kind,
            metadata=metadata,
            spec=document.get("spec"),
            opts=opts,
        )
    fields: Iterator[tuple[str, Any]] = ((_snake(k), v) for k, v in document.items())
    return factory(logical, metadata=metadata, **dict(fields), opts=opts)
