"""The IAM roles the add-ons' service accounts assume through IRSA (the cluster's OIDC issuer).

Each role trusts exactly one service account of one namespace (the workloads' role: any account
of the pipeline namespace) and holds no grant of its own here: what a role may do is declared by
the component that uses it, next to the thing it serves (the load balancer controller's policy with
its release, the secret readers' policies with their SecretStores). Destroy order follows from
that: a role outlives the policy attached to it and every release or account that names its ARN.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from conveyor_platform import connections, iam_documents, moved
from conveyor_platform.tags import Tagging

LB_CONTROLLER_ACCOUNT = "aws-load-balancer-controller"


@dataclass(frozen=True)
class IrsaRolesArgs:
    prefix: str
    tagging: Tagging
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    pipeline_namespace: str
    monitoring_namespace: str


class IrsaRoles(pulumi.ComponentResource):
    lb_controller: aws.iam.Role
    workloads: aws.iam.Role
    secrets_reader: aws.iam.Role
    grafana_admin_reader: aws.iam.Role

    def __init__(
        self,
        name: str,
        args: IrsaRolesArgs,
        *,
        formerly: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("conveyor:platform:IrsaRoles", name, None, opts)
        self._args, self._formerly = args, formerly
        prefix = args.prefix
        # The AWS Load Balancer Controller's account in kube-system: it makes the ALBs and NLBs.
        self.lb_controller = self._role(
            f"{prefix}-lb-controller", "kube-system", LB_CONTROLLER_ACCOUNT
        )
        # The workloads' identity. It holds no grants: the services authenticate with passwords
        # External Secrets puts in Secrets (SCRAM to MSK, a Redis user, the RDS master secret),
        # never with AWS credentials.
        self.workloads = self._role(f"{prefix}-workloads", args.pipeline_namespace, "*")
        # The reader account of the pipeline namespace: its SecretStore reads the connection
        # secrets with it.
        self.secrets_reader = self._role(
            f"{prefix}-secrets-reader", args.pipeline_namespace, connections.READER_ACCOUNT
        )
        # The reader account of the monitoring namespace: reads Grafana's admin login only.
        self.grafana_admin_reader = self._role(
            f"{prefix}-grafana-admin-reader",
            args.monitoring_namespace,
            connections.READER_ACCOUNT,
        )
        self.register_outputs(
            {
                "lbControllerRoleArn": self.lb_controller.arn,
                "workloadRoleArn": self.workloads.arn,
                "secretsReaderRoleArn": self.secrets_reader.arn,
                "grafanaAdminReaderRoleArn": self.grafana_admin_reader.arn,
            }
        )

    def _role(self, name: str, namespace: str, account: str) -> aws.iam.Role:
        args = self._args
        trust = pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer).apply(
            lambda v: iam_documents.irsa_trust(v[0], v[1], namespace, account)
        )
        return aws.iam.Role(
            name,
            assume_role_policy=trust,
            tags=args.tagging.of(name),
            opts=moved.under(self, formerly=self._formerly),
        )
