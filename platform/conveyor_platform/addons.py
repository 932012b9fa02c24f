"""In-cluster add-ons: load balancer controller, observability, the operator, one OrderPipeline.

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

import functools
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from conveyor_platform import (
    connections,
    credentials,
    iam_documents,
    lb_controller,
    manifests,
    pipeline,
)
from conveyor_platform.config import Addons as AddonsConfig
from conveyor_platform.config import Chart
from conveyor_platform.tags import Tagging

MONITORING_NAMESPACE = "monitoring"
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
LB_CONTROLLER_ACCOUNT = "aws-load-balancer-controller"
EXTERNAL_SECRETS_NAMESPACE = "external-secrets"


def _spec_of(target: str, specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return specs[target]


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
    admin_key_arn: pulumi.Output[str]  # encrypts the Grafana admin credential
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
        self._args = args
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

        # The load balancer controller, with IRSA; everything that makes LBs depends on it.
        lb_role = self._irsa_role(f"{prefix}-lb-controller", "kube-system", LB_CONTROLLER_ACCOUNT)
        lb_policy = aws.iam.RolePolicy(
            f"{prefix}-lb-controller-policy",
            role=lb_role.id,
            policy=pulumi.Output.all(args.cluster_name, args.vpc_id).apply(
                lambda v: lb_controller.policy(v[0], args.region, v[1])
            ),
            opts=child,
        )
        self.lb_controller = self._release(
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
                    "annotations": {"eks.amazonaws.com/role-arn": lb_role.arn},
                },
            },
            # Its rights outlive it: destroy removes the controller (which deletes the ALBs and
            # SGs it made) before the policy that lets it do so.
            after=[*args.cluster_ready, lb_role, lb_policy],
        )
        after_lb: list[pulumi.Resource] = [self.lb_controller]
        self._eso = self._release(
            "external-secrets",
            config.external_secrets,
            EXTERNAL_SECRETS_NAMESPACE,
            {"installCRDs": True, "serviceAccount": {"create": True, "name": "external-secrets"}},
            after=[*args.cluster_ready, namespaces[EXTERNAL_SECRETS_NAMESPACE]],
        )
        grafana_admin = self._grafana_admin(namespaces[MONITORING_NAMESPACE])

        # Observability: Prometheus + Grafana (internal ALB), the OpenTelemetry Collector.
        monitoring = namespaces[MONITORING_NAMESPACE]
        dashboards = manifests.dashboards()
        for file_name, body in dashboards.items():
            k8s.core.v1.ConfigMap(
                f"{prefix}-dashboard-{file_name.removesuffix('.json')}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"dashboard-{file_name.removesuffix('.json')}",
                    namespace=MONITORING_NAMESPACE,
                    labels={"grafana_dashboard": "1"},
                ),
                data={file_name: body},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[monitoring]),
            )
        self._release(
            "kube-prometheus-stack",
            config.kube_prometheus_stack,
            MONITORING_NAMESPACE,
            {
                "grafana": {
                    # The admin login comes from Secrets Manager, never the chart's default.
                    "admin": {
                        "existingSecret": connections.GRAFANA_ADMIN_SECRET,
                        "userKey": connections.GRAFANA_USER_KEY,
                        "passwordKey": connections.GRAFANA_PASSWORD_KEY,
                    },
                    "sidecar": {"dashboards": {"enabled": True, "label": "grafana_dashboard"}},
                    "ingress": {
                        "enabled": True,
                        "ingressClassName": "alb",
                        "hosts": [config.grafana_host],
                        # TLS with the ACM certificate the controller discovers for the host;
                        # an internal ALB that only the VPC may reach.
                        "tls": [{"hosts": [config.grafana_host]}],
                        "annotations": {
                            "alb.ingress.kubernetes.io/scheme": "internal",
                            "alb.ingress.kubernetes.io/target-type": "ip",
                            "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS": 443}]',
                            "alb.ingress.kubernetes.io/inbound-cidrs": args.vpc_cidr,
                            "alb.ingress.kubernetes.io/ssl-policy": TLS_POLICY,
                        },
                    },
                },
                "prometheus": {
                    "prometheusSpec": {
                        "retention": "15d",
                        "serviceMonitorSelectorNilUsesHelmValues": False,
                    }
                },
            },
            after=[*after_lb, monitoring, grafana_admin],
        )
        self._release(
            "opentelemetry-collector",
            config.opentelemetry_collector,
            MONITORING_NAMESPACE,
            {
                "mode": "deployment",
                "image": {"repository": "otel/opentelemetry-collector-contrib"},
                "presets": {"kubernetesAttributes": {"enabled": True}},
            },
            after=[*after_lb, monitoring],
        )

        # The operator: every CRD first (its own and kopf's peering), then the rest.
        operator_ns = namespaces[config.operator_namespace]
        crd_opts = pulumi.ResourceOptions(parent=self, depends_on=[*after_lb, operator_ns])
        crds = [
            manifests.declare(m, default_namespace=config.operator_namespace, opts=crd_opts)
            for m in found
            if m.kind == "CustomResourceDefinition"
        ]
        rest_opts = pulumi.ResourceOptions(parent=self, depends_on=[*crds, *after_lb, operator_ns])
        operator = [
            manifests.declare(
                m,
                default_namespace=config.operator_namespace,
                opts=rest_opts,
                cluster_scoped_custom=manifests.cluster_scoped_kinds(found),
            )
            for m in found
            if m.kind != "CustomResourceDefinition"
            and not (m.kind == "Namespace" and m.name in namespaces)
        ]

        # The workloads' identity: a service account bound to an IAM role by IRSA. It holds no
        # grants: the services authenticate with passwords External Secrets puts in Secrets
        # (SCRAM to MSK, a Redis user, the RDS master secret), never with AWS credentials.
        self.workload_role = self._irsa_role(f"{prefix}-workloads", config.pipeline_namespace, "*")
        pipeline_ns = namespaces[config.pipeline_namespace]
        self.external_secrets = self._connection_secrets(namespaces)

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
                    *crds,
                    *operator,
                    *after_lb,
                    pipeline_ns,
                    *self.external_secrets.values(),
                ],
            ),
        )
        self.register_outputs({"workloadRoleArn": self.workload_role.arn})

    def _connection_secrets(
        self, namespaces: dict[str, k8s.core.v1.Namespace]
    ) -> dict[str, pulumi.CustomResource]:
        """External Secrets and the ExternalSecrets that fill the Secrets the pipeline names."""
        args, config, prefix = self._args, self._args.config, self._args.prefix
        namespace = config.pipeline_namespace
        release = self._eso
        # The role only the pipeline namespace's reader account may assume; it reads these.
        self.secrets_reader_role = self._irsa_role(
            f"{prefix}-secrets-reader", namespace, connections.READER_ACCOUNT
        )
        secret_arns = [
            args.kafka_secret_arn,
            args.redis_secret_arn,
            *(args.postgres_secret_arns[o] for o in sorted(args.postgres_secret_arns)),
        ]
        count = len(secret_arns)
        reader_policy = aws.iam.RolePolicy(
            f"{prefix}-secrets-reader-policy",
            role=self.secrets_reader_role.id,
            policy=pulumi.Output.all(*secret_arns, *args.secret_key_arns).apply(
                lambda v: connections.reader_policy(list(v[:count]), list(v[count:]), args.region)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        reader = k8s.core.v1.ServiceAccount(
            f"{prefix}-secrets-reader-account",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=connections.READER_ACCOUNT,
                namespace=namespace,
                annotations={"eks.amazonaws.com/role-arn": self.secrets_reader_role.arn},
            ),
            automount_service_account_token=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespaces[namespace]]),
        )
        owners = sorted(args.postgres_endpoints)
        wiring = pulumi.Output.all(
            args.kafka_secret_arn,
            args.redis_secret_arn,
            args.redis_endpoint,
            *(args.postgres_endpoints[o] for o in owners),
            *(args.postgres_secret_arns[o] for o in owners),
        ).apply(
            lambda v: connections.ConnectionWiring(
                namespace=namespace,
                region=args.region,
                kafka_secret_arn=v[0],
                redis_secret_arn=v[1],
                redis_endpoint=v[2],
                postgres={
                    workload: connections.PostgresSource(
                        instance=instance,
                        endpoint=v[3 + owners.index(instance)],
                        secret_arn=v[3 + len(owners) + owners.index(instance)],
                    )
                    for workload in args.database_owners
                    for instance in [workload if workload in owners else "shared"]
                },
                secret_names=dict(pipeline.SECRET_REFS),
            )
        )
        store = k8s.apiextensions.CustomResource(
            f"{prefix}-secret-store",
            api_version=connections.API_VERSION,
            kind="SecretStore",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=connections.STORE_NAME, namespace=namespace),
            spec=wiring.apply(connections.secret_store),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[release, reader, reader_policy, namespaces[namespace]]
            ),
        )
        specs = wiring.apply(connections.external_secrets)
        return {
            target: k8s.apiextensions.CustomResource(
                f"{prefix}-external-secret-{kind}",
                api_version=connections.API_VERSION,
                kind="ExternalSecret",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=target, namespace=namespace),
                spec=specs.apply(functools.partial(_spec_of, target)),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[store, release]),
            )
            for kind, target in sorted(pipeline.SECRET_REFS.items())
        }

    def _grafana_admin(self, monitoring: k8s.core.v1.Namespace) -> pulumi.CustomResource:
        """A generated admin credential, and the ExternalSecret that makes it Grafana's Secret.

        Same pattern as the connection secrets: a reader account of the monitoring namespace,
        an IRSA role that reads exactly this secret, a namespaced SecretStore.
        """
        args, prefix = self._args, self._args.prefix
        credential = credentials.generated(
            f"{prefix}-grafana-admin",
            secret_name=f"{prefix}/grafana-admin",
            username="admin",
            description=f"{prefix}: Grafana admin login (grafana.admin.existingSecret)",
            key_arn=args.admin_key_arn,
            tagging=args.tagging,
            parent=self,
        )
        role = self._irsa_role(
            f"{prefix}-grafana-admin-reader", MONITORING_NAMESPACE, connections.READER_ACCOUNT
        )
        policy = aws.iam.RolePolicy(
            f"{prefix}-grafana-admin-reader-policy",
            role=role.id,
            policy=pulumi.Output.all(credential.secret.arn, args.admin_key_arn).apply(
                lambda v: connections.reader_policy([v[0]], [v[1]], args.region)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        reader = k8s.core.v1.ServiceAccount(
            f"{prefix}-grafana-admin-reader-account",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=connections.READER_ACCOUNT,
                namespace=MONITORING_NAMESPACE,
                annotations={"eks.amazonaws.com/role-arn": role.arn},
            ),
            automount_service_account_token=False,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[monitoring]),
        )
        store = k8s.apiextensions.CustomResource(
            f"{prefix}-monitoring-secret-store",
            api_version=connections.API_VERSION,
            kind="SecretStore",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=connections.STORE_NAME, namespace=MONITORING_NAMESPACE
            ),
            spec=connections.store_spec(args.region),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self._eso, reader, policy, monitoring]
            ),
        )
        return k8s.apiextensions.CustomResource(
            f"{prefix}-external-secret-grafana-admin",
            api_version=connections.API_VERSION,
            kind="ExternalSecret",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=connections.GRAFANA_ADMIN_SECRET, namespace=MONITORING_NAMESPACE
            ),
            spec=credential.secret.arn.apply(
                lambda arn: connections.grafana_admin(arn, connections.GRAFANA_ADMIN_SECRET)
            ),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[store, self._eso, credential.version]
            ),
        )

    def _irsa_role(self, name: str, namespace: str, account: str) -> aws.iam.Role:
        args = self._args
        trust = pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer).apply(
            lambda v: iam_documents.irsa_trust(v[0], v[1], namespace, account)
        )
        return aws.iam.Role(
            name,
            assume_role_policy=trust,
            tags=args.tagging.of(name),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _release(
        self,
        chart: str,
        pinned: Chart,
        namespace: str,
        values: dict[str, object],
        *,
        after: list[pulumi.Resource],
    ) -> k8s.helm.v3.Release:
        return k8s.helm.v3.Release(
            f"{self._args.prefix}-{chart}",
            name=chart,
            chart=chart,
            version=pinned.version,
            namespace=namespace,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=pinned.repository),
            values=values,
            atomic=True,
            cleanup_on_fail=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
