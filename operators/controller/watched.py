"""What the operator watches: the OrderPipeline resource, its children's kinds, and its peering.

Children are every kind `operators.pipeline` renders; they are watched through a label selector
(`app.kubernetes.io/managed-by`), so the API server filters them and the operator never lists the
cluster's other ConfigMaps, Services or Deployments. Replicas of the operator (and a developer's
`python -m operators.controller` against the same cluster) register in the ClusterKopfPeering
`PEERING`; only the highest priority one handles events.
"""

from __future__ import annotations

from lightkube.generic_resource import create_global_resource

from operators.pipeline.objects import MANAGED_BY

GROUP, VERSION, PLURAL = "conveyor.dev", "v1alpha1", "orderpipelines"
PEERING = "conveyor-operator"
MANAGED = {"app.kubernetes.io/managed-by": MANAGED_BY}
CHILD_RESOURCES = (
    ("v1", "serviceaccounts"),
    ("v1", "configmaps"),
    ("v1", "services"),
    ("apps/v1", "deployments"),
    ("autoscaling/v2", "horizontalpodautoscalers"),
    ("policy/v1", "poddisruptionbudgets"),
    ("networking.k8s.io/v1", "networkpolicies"),
    ("monitoring.coreos.com/v1", "servicemonitors"),
    ("monitoring.coreos.com/v1", "prometheusrules"),
)
ClusterKopfPeering = create_global_resource(
    "kopf.dev", "v1", "ClusterKopfPeering", "clusterkopfpeerings"
)


def selector(api_version: str, plural: str) -> tuple[str, str] | tuple[str, str, str]:
    """kopf's resource selector for an apiVersion and plural: (group, version, plural), or
    (version, plural) for the core group."""
    group, _, version = api_version.rpartition("/")
    return (group, version, plural) if group else (version, plural)


def managed_label_selector() -> str:
    """The label selector of every child watch, as the API server takes it."""
    return ",".join(f"{key}={value}" for key, value in MANAGED.items())
