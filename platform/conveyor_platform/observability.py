"""Observability in the cluster: Prometheus and Grafana (kube-prometheus-stack), the dashboards,
the datasources and the alerts they read, the OpenTelemetry Collector and its trace store
(Zipkin, trace_store.py), and Grafana's admin login.

Grafana gets every dashboard of observability/dashboards/ (a ConfigMap each, for its sidecar) and
two datasources: the chart's Prometheus (uid `prometheus`, the default; the dashboards pick it
through their `${datasource}` variable) and Zipkin (uid `zipkin`). Prometheus loads the alerts of
observability/alerts/ from the release's values and selects every PrometheusRule in the cluster,
not only the chart's own, so the operator's SLO rules are evaluated too.

Grafana is served on an internal ALB with TLS (only the VPC may reach it); its admin login is a
generated credential in Secrets Manager that External Secrets copies into the Secret the chart
names, never the chart's default. Both releases depend on the load balancer controller, so on
destroy they go first and the controller, still running, removes the ALB that Grafana's Ingress
made. Grafana's release also waits for its admin Secret's ExternalSecret.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import yaml

from conveyor_platform import connections, credentials, manifests, moved, trace_store
from conveyor_platform.config import Addons as AddonsConfig
from conveyor_platform.paths import REPO_ROOT
from conveyor_platform.releases import release
from conveyor_platform.tags import Tagging

MONITORING_NAMESPACE = "monitoring"
COLLECTOR_DIR = REPO_ROOT / "observability" / "collector"
# What the shared collector configuration reads from its environment, as a cluster sets it: the
# chart's ports on the pod's address, a trace store in the monitoring namespace, and sampling
# that keeps every failed or slow saga and a tenth of the rest (the laptop keeps all).
COLLECTOR_ENV = {
    "CONVEYOR_OTELCOL_GRPC_ENDPOINT": "$(MY_POD_IP):4317",
    "CONVEYOR_OTELCOL_HTTP_ENDPOINT": "$(MY_POD_IP):4318",
    "CONVEYOR_OTELCOL_METRICS_LEVEL": "normal",
    "CONVEYOR_ZIPKIN_ENDPOINT": f"{trace_store.endpoint(MONITORING_NAMESPACE)}/api/v2/spans",
    "CONVEYOR_TRACE_DECISION_WAIT": "30s",
    "CONVEYOR_TRACE_SLOW_MS": "2000",
    "CONVEYOR_TRACE_KEEP_PERCENT": "10",
}
UNUSED_COLLECTOR_PORTS = ("jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin")
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
DASHBOARD_LABEL = "grafana_dashboard"  # what Grafana's dashboard sidecar watches
FOLDER_ANNOTATION = "grafana_folder"
DASHBOARD_FOLDER = "Conveyor"
PROMETHEUS_DATASOURCE_UID = "prometheus"


def prometheus_datasource() -> dict[str, object]:
    """`grafana.sidecar.datasources` of kube-prometheus-stack: the chart's own Prometheus as the
    default datasource, under a fixed uid."""
    return {
        "enabled": True,
        "defaultDatasourceEnabled": True,
        "isDefaultDatasource": True,
        "uid": PROMETHEUS_DATASOURCE_UID,
    }


def trace_datasources() -> list[dict[str, str]]:
    """`grafana.additionalDataSources`: the trace store."""
    zipkin = {
        "name": "Zipkin",
        "type": "zipkin",
        "uid": "zipkin",
        "access": "proxy",
        "url": trace_store.endpoint(MONITORING_NAMESPACE),
    }
    return [zipkin]


def collector_config() -> dict[str, object]:
    """observability/collector/config.yaml, the collector configuration laptop and cluster share."""
    document: dict[str, object] = yaml.safe_load((COLLECTOR_DIR / "config.yaml").read_text())
    return document


def cluster_collector_config() -> dict[str, object]:
    """The shared configuration as the cluster's collector runs it: plus the health_check
    extension, which the chart's liveness and readiness probes call on the pod's port 13133.

    Given as the chart's `alternateConfig`, which Helm does not merge with the chart's default
    `config`: merged, the defaults would add Jaeger, Zipkin and Prometheus receivers and logs and
    metrics pipelines to a debug exporter, which our build refuses (ADR 0049)."""
    config = collector_config()
    extensions = cast(dict[str, object], config.setdefault("extensions", {}))
    extensions["health_check"] = {"endpoint": "${env:MY_POD_IP}:13133"}
    service = cast(dict[str, list[str]], config["service"])
    service["extensions"] = [*service.get("extensions", []), "health_check"]
    return config


def collector_release() -> str:
    """The collector release the configuration is validated against (builder.yaml)."""
    return str(yaml.safe_load((COLLECTOR_DIR / "builder.yaml").read_text())["dist"]["version"])


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

        # The dashboards (observability/dashboards/, generated by `make dashboards`), one
        # ConfigMap each; Grafana's sidecar loads those with this label into the folder named.
        for file_name, body in manifests.dashboards().items():
            k8s.core.v1.ConfigMap(
                f"{prefix}-dashboard-{file_name.removesuffix('.json')}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"dashboard-{file_name.removesuffix('.json')}",
                    namespace=MONITORING_NAMESPACE,
                    labels={DASHBOARD_LABEL: "1"},
                    annotations={FOLDER_ANNOTATION: DASHBOARD_FOLDER},
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
                    "sidecar": {
                        "dashboards": {
                            "enabled": True,
                            "label": DASHBOARD_LABEL,
                            "folderAnnotation": FOLDER_ANNOTATION,
                            "provider": {"foldersFromFilesStructure": True},
                        },
                        "datasources": prometheus_datasource(),
                    },
                    "additionalDataSources": trace_datasources(),
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
                        # every PrometheusRule, the operator's SLO rules among them
                        "ruleSelectorNilUsesHelmValues": False,
                    }
                },
                # The alerts that are not SLOs (observability/alerts/), one rule object each.
                "additionalPrometheusRulesMap": manifests.alert_rules(),
            },
            opts=self._child(depends_on=[args.lb_controller, monitoring, self.grafana_admin]),
        )
        # The trace store the collector exports to and Grafana reads.
        _, zipkin_service = trace_store.declare(
            prefix, MONITORING_NAMESPACE, opts=self._child(depends_on=[monitoring])
        )
        # The OpenTelemetry Collector the workloads send traces to: the same configuration file
        # as the laptop's collector (observability/collector/config.yaml), this cluster's
        # addresses and sampling knobs in its environment, the image at the file's release.
        release(
            prefix,
            "opentelemetry-collector",
            config.opentelemetry_collector,
            MONITORING_NAMESPACE,
            {
                "mode": "deployment",
                "image": {
                    "repository": "otel/opentelemetry-collector-contrib",
                    "tag": collector_release(),
                },
                # Pod, namespace and workload of each span's sender (the k8sattributes
                # processor, in our build too).
                "presets": {"kubernetesAttributes": {"enabled": True}},
                "alternateConfig": cluster_collector_config(),
                # Only OTLP is received: the chart's Jaeger and Zipkin ports stay closed.
                "ports": {p: {"enabled": False} for p in UNUSED_COLLECTOR_PORTS},
                "extraEnvs": [{"name": k, "value": v} for k, v in COLLECTOR_ENV.items()],
            },
            opts=self._child(depends_on=[args.lb_controller, monitoring, zipkin_service]),
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
