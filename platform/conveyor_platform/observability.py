"""Observability in the cluster: Prometheus and Grafana (kube-prometheus-stack), the dashboards,
the OpenTelemetry Collector, and Grafana's admin login.

Grafana is served on an internal ALB with TLS (only the VPC may reach it); its admin login is a
generated credential in Secrets Manager that External Secrets copies into the Secret the chart
names, never the chart's default. Both releases depend on the load balancer controller, so on
destroy they go first and the controller, still running, removes the ALB that Grafana's Ingress
made. Grafana's release also waits for its admin Secret's ExternalSecret.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from conveyor_platform import connections, credentials, manifests, moved
from conveyor_platform.config import Addons as AddonsConfig
from conveyor_platform.releases import release
from conveyor_platform.tags import Tagging

MONITORING_NAMESPACE = "monitoring"
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


@dataclass(frozen=True)
class ObservabilityArgs:
    prefix: str
    region: str
    config: AddonsConfig
    tagging: Tagging
    vpc_cidr: str
    admin_key_arn: pulumi.Output[str]  # encrypts the Grafana admin credential
    monitoring_namespace: k8s.core.v1.Namespace
    admin_reader_role: aws.iam.Role  # IRSA role of the monitoring namespace's reader account
    external_secrets: k8s.helm.v3.Release
    lb_controller: k8s.helm.v3.Release


class Observability(pulumi.ComponentResource):
    grafana_admin: pulumi.CustomResource  # the ExternalSecret that fills Grafana's admin Secret

    def __init__(
        self,
        name: str,
        args: ObservabilityArgs,
        *,
        formerly: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("conveyor:platform:Observability", name, None, opts)
        self._args, self._formerly = args, formerly
        config, prefix, monitoring = args.config, args.prefix, args.monitoring_namespace
        self.grafana_admin = self._grafana_admin()

        # The dashboards, one ConfigMap each; Grafana's sidecar loads those with this label.
        for file_name, body in manifests.dashboards().items():
            k8s.core.v1.ConfigMap(
                f"{prefix}-dashboard-{file_name.removesuffix('.json')}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"dashboard-{file_name.removesuffix('.json')}",
                    namespace=MONITORING_NAMESPACE,
                    labels={"grafana_dashboard": "1"},
                ),
                data={file_name: body},
                opts=self._child(depends_on=[monitoring]),
            )
        # Prometheus and Grafana; Grafana behind an internal ALB with TLS.
        release(
            prefix,
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
            opts=self._child(depends_on=[args.lb_controller, monitoring, self.grafana_admin]),
        )
        # The OpenTelemetry Collector the workloads send traces and metrics to.
        release(
            prefix,
            "opentelemetry-collector",
            config.opentelemetry_collector,
            MONITORING_NAMESPACE,
            {
                "mode": "deployment",
                "image": {"repository": "otel/opentelemetry-collector-contrib"},
                "presets": {"kubernetesAttributes": {"enabled": True}},
            },
            opts=self._child(depends_on=[args.lb_controller, monitoring]),
        )
        self.register_outputs({"grafanaHost": config.grafana_host})

    def _child(self, *, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        return moved.under(self, formerly=self._formerly, depends_on=depends_on)

    def _grafana_admin(self) -> pulumi.CustomResource:
        """A generated admin credential, and the ExternalSecret that makes it Grafana's Secret.

        Same pattern as the connection secrets: a reader account of the monitoring namespace,
        an IRSA role that reads exactly this secret, a namespaced SecretStore.
        """
        args, prefix, monitoring = self._args, self._args.prefix, self._args.monitoring_namespace
        eso, role = args.external_secrets, args.admin_reader_role
        # The admin login itself: a generated password in Secrets Manager, set once.
        credential = credentials.generated(
            f"{prefix}-grafana-admin",
            secret_name=f"{prefix}/grafana-admin",
            username="admin",
            description=f"{prefix}: Grafana admin login (grafana.admin.existingSecret)",
            key_arn=args.admin_key_arn,
            tagging=args.tagging,
            parent=self,
            aliases=[pulumi.Alias(parent=self._formerly)],
        )
        # What the reader role may read: this secret, decrypted with its key.
        policy = aws.iam.RolePolicy(
            f"{prefix}-grafana-admin-reader-policy",
            role=role.id,
            policy=pulumi.Output.all(credential.secret.arn, args.admin_key_arn).apply(
                lambda v: connections.reader_policy([v[0]], [v[1]], args.region)
            ),
            opts=self._child(),
        )
        # The account the SecretStore authenticates as; no token is mounted into pods.
        reader = k8s.core.v1.ServiceAccount(
            f"{prefix}-grafana-admin-reader-account",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=connections.READER_ACCOUNT,
                namespace=MONITORING_NAMESPACE,
                annotations={"eks.amazonaws.com/role-arn": role.arn},
            ),
            automount_service_account_token=False,
            opts=self._child(depends_on=[monitoring]),
        )
        # The monitoring namespace's SecretStore: Secrets Manager, as the reader account.
        store = k8s.apiextensions.CustomResource(
            f"{prefix}-monitoring-secret-store",
            api_version=connections.API_VERSION,
            kind="SecretStore",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=connections.STORE_NAME, namespace=MONITORING_NAMESPACE
            ),
            spec=connections.store_spec(args.region),
            opts=self._child(depends_on=[eso, reader, policy, monitoring]),
        )
        # Grafana's admin Secret, filled from the credential.
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
            opts=self._child(depends_on=[store, eso, credential.version]),
        )
