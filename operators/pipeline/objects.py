"""Names, labels and ownership shared by every child the operator renders.

Children are named `<pipeline>-<workload>` so two pipelines can share a namespace. Selectors use
only `app.kubernetes.io/name` and `app.kubernetes.io/instance`: a Deployment's selector is
immutable, so it must not contain anything a spec change could alter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PART_OF = "conveyor"
MANAGED_BY = "conveyor-operator"
SPEC_HASH = "conveyor.dev/spec-hash"  # hash of the child as rendered; drift checks compare it
CONFIG_HASH = "conveyor.dev/config-hash"  # on pod templates: a ConfigMap change rolls the pods


@dataclass(frozen=True)
class Owner:
    """The OrderPipeline that owns the children (kopf's body.metadata gives all of it)."""

    api_version: str
    kind: str
    name: str
    namespace: str
    uid: str

    def reference(self) -> dict[str, Any]:
        """Garbage collection deletes the child with its owner; only this owner controls it."""
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "name": self.name,
            "uid": self.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }


def child_name(owner: Owner, component: str) -> str:
    return f"{owner.name}-{component}"


def selector(owner: Owner, workload: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": workload, "app.kubernetes.io/instance": owner.name}


def labels(owner: Owner, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": component,
        "app.kubernetes.io/instance": owner.name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def pipeline_selector(owner: Owner) -> str:
    """Every pod of the pipeline, as a label selector string (status.selector, for the HPA)."""
    return f"app.kubernetes.io/instance={owner.name},app.kubernetes.io/part-of={PART_OF}"
