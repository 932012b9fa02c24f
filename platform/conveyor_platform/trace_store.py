"""The cluster's trace store: Zipkin, in memory, behind a Service the collector and Grafana name.

The same server as the laptop's (`io.zipkin:zipkin-server`, here its image at the same release):
the collector exports spans to `http://zipkin.monitoring:9411/api/v2/spans` and Grafana reads
traces from `http://zipkin.monitoring:9411`, both named by `ENDPOINT`, so the three cannot
disagree. In memory on purpose (ADR 0043): a trace is for debugging a recent order; it holds
`MAX_SPANS` spans within a bounded heap and loses them on restart, which costs no database. The
pod runs as the image's non-root user with a read-only root filesystem (a memory-backed /tmp for
the JVM), no privilege escalation and no capabilities; a NetworkPolicy admits only pods of its own
namespace. A restart of the pod loses the stored traces, nothing else.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

NAME = "zipkin"
PORT = 9411
VERSION = "3.5.1"  # the local stack's Zipkin release (operators/local/servers/zipkin.py)
IMAGE = f"openzipkin/zipkin:{VERSION}"
MAX_SPANS = 100_000  # fits the heap below, as measured locally
HEAP = "384m"
USER_ID = 1000  # the image's `zipkin` user
JVM_TMP = "/tmp"  # noqa: S108 - a path inside the container: the pod's own memory-backed volume


def endpoint(namespace: str) -> str:
    """Zipkin's base URL inside the cluster (API, UI; spans go to /api/v2/spans)."""
    return f"http://{NAME}.{namespace}:{PORT}"


def _container() -> k8s.core.v1.ContainerArgs:
    health = k8s.core.v1.ProbeArgs(
        http_get=k8s.core.v1.HTTPGetActionArgs(path="/health", port=PORT),
        period_seconds=10,
        failure_threshold=6,
    )
    return k8s.core.v1.ContainerArgs(
        name=NAME,
        image=IMAGE,
        image_pull_policy="Always",
        ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=PORT)],
        env=[
            k8s.core.v1.EnvVarArgs(name="STORAGE_TYPE", value="mem"),
            k8s.core.v1.EnvVarArgs(name="MEM_MAX_SPANS", value=str(MAX_SPANS)),
            k8s.core.v1.EnvVarArgs(name="JAVA_OPTS", value=f"-Xms{HEAP} -Xmx{HEAP}"),
        ],
        readiness_probe=health,
        liveness_probe=health,
        resources=k8s.core.v1.ResourceRequirementsArgs(
            requests={"cpu": "100m", "memory": "512Mi"}, limits={"cpu": "1", "memory": "640Mi"}
        ),
        security_context=k8s.core.v1.SecurityContextArgs(
            run_as_non_root=True,
            run_as_user=USER_ID,
            allow_privilege_escalation=False,
            read_only_root_filesystem=True,
            capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
        ),
        volume_mounts=[k8s.core.v1.VolumeMountArgs(name="tmp", mount_path=JVM_TMP)],
    )


def declare(
    prefix: str, namespace: str, *, opts: pulumi.ResourceOptions
) -> tuple[k8s.apps.v1.Deployment, k8s.core.v1.Service]:
    """One Zipkin replica, the Service `zipkin` in `namespace`, and a NetworkPolicy that admits
    only pods of `namespace` (the collector, Grafana) to its port."""
    labels = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/part-of": "conveyor"}
    # One replica: the store is in memory, so a second would hold other traces.
    deployment = k8s.apps.v1.Deployment(
        f"{prefix}-zipkin",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=namespace, labels=labels),
        spec=k8s.apps.v1.DeploymentSpecArgs(
            replicas=1,
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                spec=k8s.core.v1.PodSpecArgs(
                    automount_service_account_token=False,
                    security_context=k8s.core.v1.PodSecurityContextArgs(
                        run_as_non_root=True,
                        run_as_user=USER_ID,
                        run_as_group=USER_ID,
                        fs_group=USER_ID,
                        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                    ),
                    containers=[_container()],
                    volumes=[
                        k8s.core.v1.VolumeArgs(
                            name="tmp",
                            empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(
                                medium="Memory", size_limit="64Mi"
                            ),
                        )
                    ],
                ),
            ),
        ),
        opts=opts,
    )
    # The name the collector's exporter and Grafana's datasource reach it by.
    service = k8s.core.v1.Service(
        f"{prefix}-zipkin-service",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=namespace, labels=labels),
        spec=k8s.core.v1.ServiceSpecArgs(
            selector=labels,
            ports=[k8s.core.v1.ServicePortArgs(name="http", port=PORT, target_port="http")],
        ),
        opts=opts,
    )
    # Spans and traces are the collector's and Grafana's business only: nothing from elsewhere.
    k8s.networking.v1.NetworkPolicy(
        f"{prefix}-zipkin-ingress",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=namespace, labels=labels),
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
            policy_types=["Ingress"],
            ingress=[
                k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                    from_=[
                        k8s.networking.v1.NetworkPolicyPeerArgs(
                            pod_selector=k8s.meta.v1.LabelSelectorArgs()
                        )
                    ],
                    ports=[k8s.networking.v1.NetworkPolicyPortArgs(port=PORT, protocol="TCP")],
                )
            ],
        ),
        opts=opts,
    )
    return deployment, service
