"""The OrderPipeline operator, installed from the manifests in operators/crds and operators/deploy.

Every CustomResourceDefinition (the operator's own and kopf's peering) is declared first and the
rest of the manifests depend on them, so an object of a custom kind never reaches the API server
before its CRD. Everything depends on the load balancer controller: the operator renders the
gateway Service that makes an NLB, so on destroy the operator goes while the controller still
runs to remove that NLB. Namespaces the composer already declares are skipped here (it merges
their labels), so a namespace is declared once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from conveyor_platform import manifests, moved


@dataclass(frozen=True)
class OperatorInstallArgs:
    found: Sequence[manifests.Manifest]  # the CRDs and the deployment manifests, as read
    operator_namespace: str
    namespace: k8s.core.v1.Namespace  # the operator's, declared by the composer
    declared_namespaces: frozenset[str]  # names the composer declares; not declared again
    lb_controller: k8s.helm.v3.Release


class OperatorInstall(pulumi.ComponentResource):
    crds: list[pulumi.CustomResource]
    resources: list[pulumi.CustomResource]  # everything else: RBAC, Deployment, peering, ...

    def __init__(
        self,
        name: str,
        args: OperatorInstallArgs,
        *,
        formerly: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("conveyor:platform:OperatorInstall", name, None, opts)
        found, namespace = args.found, args.operator_namespace
        after_lb: list[pulumi.Resource] = [args.lb_controller]
        # The CRDs: the OrderPipeline kind and kopf's peering kinds.
        crd_opts = moved.under(self, formerly=formerly, depends_on=[*after_lb, args.namespace])
        self.crds = [
            manifests.declare(m, default_namespace=namespace, opts=crd_opts)
            for m in found
            if m.kind == "CustomResourceDefinition"
        ]
        # The operator itself (account, RBAC, Deployment, ...), once its CRDs exist.
        rest_opts = moved.under(
            self, formerly=formerly, depends_on=[*self.crds, *after_lb, args.namespace]
        )
        self.resources = [
            manifests.declare(
                m,
                default_namespace=namespace,
                opts=rest_opts,
                cluster_scoped_custom=manifests.cluster_scoped_kinds(list(found)),
            )
            for m in found
            if m.kind != "CustomResourceDefinition"
            and not (m.kind == "Namespace" and m.name in args.declared_namespaces)
        ]
        self.register_outputs({"crdCount": len(self.crds)})
