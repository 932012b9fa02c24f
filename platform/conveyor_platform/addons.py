"""In-cluster add-ons: load balancer controller, observability, the operator, one OrderPipeline.

`Addons` composes one child component per concern — the IRSA roles (`irsa_roles`), the controller
releases (`releases`), observability (`observability`), the operator (`operator_install`) and the
connection secrets (`connection_secrets`) — and declares itself what ties them together: the
namespaces and the OrderPipeline. The resources of the children were declared directly under
`Addons` before; each carries an alias to it (`moved.py`), so an existing stack keeps them.

Destroy order is the point of the dependency edges here. Pulumi deletes a resource before the
resources it depends on, so:
- the AWS Load Balancer Controller depends on the node groups, the core add-ons and the NAT
  routes/subnets (via `depends_on`), hence outlives nothing it needs and is deleted only after
- everything that can make it create AWS load balancers and security groups (Grafana's
  Ingress in kube-prometheus-stack, the operator and the OrderPipeline whose gateway Service it
  renders) — those depend on the controller release, so they go first and the controller, still
  running, removes their ALBs/NLBs and SGs before the network that hosts them is destroyed.
- External Secrets (the release, its SecretStore and the ExternalSecrets that fill the Secrets the
  OrderPipeline names) comes before the OrderPipeline, which depends on the ExternalSecrets: the
  pipeline is deleted first, then the ExternalSecrets (their Secrets go with them), then the
  operator that served them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from conveyor_platform import manifests, pipeline
from conveyor_platform.config import Addons as AddonsConfig
from conveyor_platform.connection_secrets import ConnectionSecrets, ConnectionSecretsArgs
from conveyor_platform.irsa_roles import IrsaRoles, IrsaRolesArgs
from conveyor_platform.observability import (
    MONITORING_NAMESPACE,
    Observability,
    ObservabilityArgs,
)
from conveyor_platform.operator_install import OperatorInstall, OperatorInstallArgs
from conveyor_platform.releases import (
    EXTERNAL_SECRETS_NAMESPACE,
    ControllerReleases,
    ControllerReleasesArgs,
)
from conveyor_platform.tags import Tagging


@dataclass(frozen=True)
class AddonsArgs:
    prefix: str
    region: str
    config: AddonsConfig
    tagging: Tagging
    workloads: list[str]
    cluster_name: pulumi.Output[str]
    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    cluster_ready: list[pulumi.Resource]  # node groups, core add-ons, NAT routes
    kafka_bootstrap: pulumi.Output[str]
    redis_user: pulumi.Output[str]
    redis_endpoint: pulumi.Output[str]
    postgres_endpoints: dict[str, pulumi.Output[str]]
    postgres_secret_arns: dict[str, pulumi.Output[str]]
    database_owners: list[str]  # workloads with a database (keys of `conveyor-postgres`)
    kafka_secret_arn: pulumi.Output[str]  # the SCRAM credential of the workloads
    redis_secret_arn: pulumi.Output[str]  # the Redis user's credential
    secret_key_arns: list[pulumi.Output[str]]  # the KMS keys those secrets are encrypted with
    admin_key_arn: pulumi.Output[str]  # encrypts the Grafana admin and the workloads' secrets
    kafka_partitions: int
    kafka_replication_factor: int
    kafka_min_insync_replicas: int


class Addons(pulumi.ComponentResource):
    workload_role: aws.iam.Role
    lb_controller: k8s.helm.v3.Release
    pipeline: pulumi.CustomResource
    secrets_reader_role: aws.iam.Role
    external_secrets: dict[str, pulumi.CustomResource]

    def __init__(self, name: str, args: AddonsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("conveyor:platform:Addons", name, None, opts)
        config, prefix = args.config, args.prefix
        child = pulumi.ResourceOptions(parent=self)

        # Namespaces; where operators/deploy/ declares one (Pod Security labels), its labels win.
        found = manifests.read(manifests.CRDS_DIR) + manifests.read(manifests.DEPLOY_DIR)
        declared = {
            m.name: dict(m.document.get("metadata", {}).get("labels", {}))
            for m in found
            if m.kind == "Namespace"
        }
        namespaces = {
            ns: k8s.core.v1.Namespace(
                f"{prefix}-ns-{ns}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=ns,
                    labels={
                        "conveyor.dev/environment": args.tagging.environment,
                        **declared.get(ns, {}),
                    },
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=args.cluster_ready),
            )
            for ns in sorted(
                {
                    MONITORING_NAMESPACE,
                    EXTERNAL_SECRETS_NAMESPACE,
                    config.operator_namespace,
                    config.pipeline_namespace,
                }
            )
        }

        roles = IrsaRoles(
            f"{name}-roles",
            IrsaRolesArgs(
                prefix=prefix,
                tagging=args.tagging,
                oidc_provider_arn=args.oidc_provider_arn,
                oidc_issuer=args.oidc_issuer,
                pipeline_namespace=config.pipeline_namespace,
                monitoring_namespace=MONITORING_NAMESPACE,
            ),
            formerly=self,
            opts=child,
        )
        self.workload_role = roles.workloads
        self.secrets_reader_role = roles.secrets_reader

        # The load balancer controller and External Secrets; everything that makes LBs
        # depends on the former.
        controllers = ControllerReleases(
            f"{name}-controllers",
            ControllerReleasesArgs(
                prefix=prefix,
                region=args.region,
                config=config,
                cluster_name=args.cluster_name,
                vpc_id=args.vpc_id,
                cluster_ready=args.cluster_ready,
                lb_controller_role=roles.lb_controller,
                external_secrets_namespace=namespaces[EXTERNAL_SECRETS_NAMESPACE],
            ),
            formerly=self,
            opts=child,
        )
        self.lb_controller = controllers.lb_controller
        after_lb: list[pulumi.Resource] = [self.lb_controller]

        # Prometheus + Grafana (internal ALB) with its admin login, the OpenTelemetry Collector.
        Observability(
            f"{name}-observability",
            ObservabilityArgs(
                prefix=prefix,
                region=args.region,
                config=config,
                tagging=args.tagging,
                vpc_cidr=args.vpc_cidr,
                admin_key_arn=args.admin_key_arn,
                monitoring_namespace=namespaces[MONITORING_NAMESPACE],
                admin_reader_role=roles.grafana_admin_reader,
                external_secrets=controllers.external_secrets,
                lb_controller=self.lb_controller,
            ),
            formerly=self,
            opts=child,
        )

        # The operator: every CRD first (its own and kopf's peering), then the rest.
        operator = OperatorInstall(
            f"{name}-operator",
            OperatorInstallArgs(
                found=found,
                operator_namespace=config.operator_namespace,
                namespace=namespaces[config.operator_namespace],
                declared_namespaces=frozenset(namespaces),
                lb_controller=self.lb_controller,
            ),
            formerly=self,
            opts=child,
        )

        # The Secrets the OrderPipeline names, from Secrets Manager through External Secrets.
        pipeline_ns = namespaces[config.pipeline_namespace]
        self.external_secrets = ConnectionSecrets(
            f"{name}-connection-secrets",
            ConnectionSecretsArgs(
                prefix=prefix,
                region=args.region,
                namespace=config.pipeline_namespace,
                pipeline_namespace=pipeline_ns,
                reader_role=roles.secrets_reader,
                external_secrets=controllers.external_secrets,
                redis_endpoint=args.redis_endpoint,
                postgres_endpoints=args.postgres_endpoints,
                postgres_secret_arns=args.postgres_secret_arns,
                database_owners=args.database_owners,
                kafka_secret_arn=args.kafka_secret_arn,
                redis_secret_arn=args.redis_secret_arn,
                secret_key_arns=args.secret_key_arns,
                app_key_arn=args.admin_key_arn,
                tagging=args.tagging,
            ),
            formerly=self,
            opts=child,
        ).external_secrets

        # One OrderPipeline for this environment, wired to the stack's outputs.
        owners = sorted(args.postgres_endpoints)
        wiring = pulumi.Output.all(
            args.kafka_bootstrap,
            args.redis_endpoint,
            args.redis_user,
            self.workload_role.arn,
            *(args.postgres_endpoints[o] for o in owners),
            *(args.postgres_secret_arns[o] for o in owners),
        ).apply(
            lambda v: pipeline.PipelineWiring(
                name=config.pipeline_name,
                namespace=config.pipeline_namespace,
                replicas=config.workload_replicas,
                workloads=args.workloads,
                image_registry=config.image_registry,
                image_tag=config.image_tag,
                kafka_bootstrap=v[0],
                kafka_partitions=args.kafka_partitions,
                kafka_replication_factor=args.kafka_replication_factor,
                kafka_min_insync_replicas=args.kafka_min_insync_replicas,
                redis_endpoint=v[1],
                redis_user=v[2],
                role_arn=v[3],
                postgres_endpoints=dict(zip(owners, v[4 : 4 + len(owners)], strict=True)),
                postgres_secret_arns=dict(zip(owners, v[4 + len(owners) :], strict=True)),
                monitoring_namespace=MONITORING_NAMESPACE,
            )
        )
        self.pipeline = k8s.apiextensions.CustomResource(
            f"{prefix}-pipeline",
            api_version=pipeline.API_VERSION,
            kind=pipeline.KIND,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=config.pipeline_name,
                namespace=config.pipeline_namespace,
                annotations=wiring.apply(pipeline.references),
            ),
            spec=wiring.apply(pipeline.spec),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[
                    *operator.crds,
                    *operator.resources,
                    *after_lb,
                    pipeline_ns,
                    *self.external_secrets.values(),
                ],
            ),
        )
        self.register_outputs({"workloadRoleArn": self.workload_role.arn})
