"""Pinned Helm releases, and the two controllers the other add-ons rely on.

`release` installs one chart at the version the stack config pins, atomically (a failed install
or upgrade is rolled back, never left half-applied). `ControllerReleases` installs the AWS Load
Balancer Controller (with the policy its IRSA role needs) and External Secrets.

Destroy order is the point of the dependency edges: the load balancer controller depends on the
node groups, the core add-ons and the NAT routes, and everything that can make it create load
balancers depends on it, so those go first and the controller, still running, removes their
ALBs/NLBs and security groups before the network that hosts them is destroyed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from conveyor_platform import lb_controller, moved
from conveyor_platform.config import Addons as AddonsConfig
from conveyor_platform.config import Chart
from conveyor_platform.irsa_roles import LB_CONTROLLER_ACCOUNT

EXTERNAL_SECRETS_NAMESPACE = "external-secrets"


def release(
    prefix: str,
    chart: str,
    pinned: Chart,
    namespace: str,
    values: dict[str, object],
    *,
    opts: pulumi.ResourceOptions,
) -> k8s.helm.v3.Release:
    """`chart` from its pinned repository and version, released under its own name."""
    return k8s.helm.v3.Release(
        f"{prefix}-{chart}",
        name=chart,
        chart=chart,
        version=pinned.version,
        namespace=namespace,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=pinned.repository),
        values=values,
        atomic=True,
        cleanup_on_fail=True,
        opts=opts,
    )


@dataclass(frozen=True)
class ControllerReleasesArgs:
    prefix: str
    region: str
    config: AddonsConfig
    cluster_name: pulumi.Output[str]
    vpc_id: pulumi.Output[str]
    cluster_ready: Sequence[pulumi.Resource]  # node groups, core add-ons, NAT routes
    lb_controller_role: aws.iam.Role
    external_secrets_namespace: k8s.core.v1.Namespace


class ControllerReleases(pulumi.ComponentResource):
    lb_controller: k8s.helm.v3.Release
    external_secrets: k8s.helm.v3.Release

    def __init__(
        self,
        name: str,
        args: ControllerReleasesArgs,
        *,
        formerly: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("conveyor:platform:ControllerReleases", name, None, opts)
        config, prefix, role = args.config, args.prefix, args.lb_controller_role

        # What the load balancer controller may do in AWS: ELB, its security groups, in this VPC.
        lb_policy = aws.iam.RolePolicy(
            f"{prefix}-lb-controller-policy",
            role=role.id,
            policy=pulumi.Output.all(args.cluster_name, args.vpc_id).apply(
                lambda v: lb_controller.policy(v[0], args.region, v[1])
            ),
            opts=moved.under(self, formerly=formerly),
        )
        # The AWS Load Balancer Controller: turns Ingresses and LoadBalancer Services into
        # ALBs/NLBs. Its rights outlive it: destroy removes the controller (which deletes the
        # ALBs and SGs it made) before the policy that lets it do so.
        self.lb_controller = release(
            prefix,
            "aws-load-balancer-controller",
            config.aws_load_balancer_controller,
            "kube-system",
            {
                "clusterName": args.cluster_name,
                "region": args.region,
                "vpcId": args.vpc_id,
                # No WAF or Shield on our load balancers: the policy grants none of their writes.
                "enableWaf": False,
                "enableWafv2": False,
                "enableShield": False,
                "serviceAccount": {
                    "create": True,
                    "name": LB_CONTROLLER_ACCOUNT,
                    "annotations": {"eks.amazonaws.com/role-arn": role.arn},
                },
            },
            opts=moved.under(
                self, formerly=formerly, depends_on=[*args.cluster_ready, role, lb_policy]
            ),
        )
        # External Secrets: fills Kubernetes Secrets from Secrets Manager (connection secrets,
        # Grafana's admin login); its CRDs come with the chart.
        self.external_secrets = release(
            prefix,
            "external-secrets",
            config.external_secrets,
            EXTERNAL_SECRETS_NAMESPACE,
            {"installCRDs": True, "serviceAccount": {"create": True, "name": "external-secrets"}},
            opts=moved.under(
                self,
                formerly=formerly,
                depends_on=[*args.cluster_ready, args.external_secrets_namespace],
            ),
        )
        self.register_outputs({"lbControllerRelease": self.lb_controller.name})
