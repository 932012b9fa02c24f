"""A workload's ConfigMap and Deployment: what runs, with which settings, how it stops and starts.

Pods follow the restricted Pod Security Standard (non-root, no privilege escalation, every
capability dropped, RuntimeDefault seccomp, read-only root with an emptyDir /tmp), mount no
service-account token (the services never call the API), read plain settings from the ConfigMap,
the pipeline's flags file from its own ConfigMap (operators/pipeline/flags.py) and secrets one key
at a time from Secrets. Rollouts add pods before removing any
(maxUnavailable 0 by default); on SIGTERM a pod keeps serving for `rollout.shutdownDelaySeconds`
(`SHUTDOWN_DRAIN_S`, workloads/shared/draining.py: readiness 503 and `Connection: close` on each
answer, so endpoints drop it and clients leave its keep-alive connections between requests),
and the grace period then lets consumers commit and leave their group (ADR 0056).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

from operators.pipeline import flags, proxies, topology
from operators.pipeline.objects import CONFIG_HASH, Owner, child_name, labels, selector
from operators.pipeline.resiliency import ENV_KEY, as_env_value
from operators.pipeline.spec import OrderPipelineSpec
from operators.pipeline.tracing import TRACE_SAMPLE_RATIO_ENV

RUN_AS = 10001  # any high uid; the images must not need a particular one


def container_security_context() -> dict[str, Any]:
    """The restricted Pod Security profile for one container: non-root, read-only root, no
    privilege escalation, no capabilities, the runtime's seccomp profile (a fresh dict)."""
    return {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": RUN_AS,
        "runAsGroup": RUN_AS,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


TMP_SIZE = "64Mi"


DRAIN_ENV = "SHUTDOWN_DRAIN_S"  # workloads/shared/draining.py


def workload_env(
    spec: OrderPipelineSpec,
    workload: str,
    *,
    http_host: str,
    callee_url: Callable[[str, int], str],
    proxy_networks: Sequence[str] = (),
) -> dict[str, str]:
    """Every non-secret environment variable of the workload, wherever it runs.

    The one place that decides what a workload is told: a ConfigMap in a cluster and the local
    runner's processes on loopback both come from here, so one spec means the same settings in
    both. Only the addressing differs, hence the parameters: the host to bind, how a callee
    (name, port) is reached, and the networks the gateway's requests come from (proxies.py).
    """
    this = spec.workloads[workload]
    data = {
        "SERVICE_NAME": workload,
        "HTTP_HOST": http_host,
        "HTTP_PORT": str(this.port),
        ENV_KEY: as_env_value(spec, workload),
        TRACE_SAMPLE_RATIO_ENV: str(spec.tracing.sample_ratio),
        flags.FLAGS_ENV: flags.FLAGS_PATH,
    }
    if topology.uses_kafka(workload) and spec.kafka is not None:
        data["KAFKA_BOOTSTRAP_SERVERS"] = spec.kafka.bootstrap_servers
        if spec.kafka.auth_secret_ref is not None:
            data["KAFKA_SECURITY_PROTOCOL"] = "SASL_SSL"
    for callee in topology.callees(workload, frozenset(spec.workloads)):
        data[f"{callee.upper()}_URL"] = callee_url(callee, spec.workloads[callee].port)
    data.update(proxies.trusted_proxies(workload, list(spec.workloads), proxy_networks))
    return dict(sorted({**data, **this.env}.items()))


def config_data(owner: Owner, spec: OrderPipelineSpec, workload: str) -> dict[str, str]:
    """The ConfigMap's data: the workload's environment as a pod in the cluster sees it.

    Adds the drain after SIGTERM (`SHUTDOWN_DRAIN_S`, an explicit env entry wins); the local
    runner's processes do not drain: a local restart stops at once.
    """
    data = workload_env(
        spec,
        workload,
        http_host="0.0.0.0",  # noqa: S104 - in a pod, the pod's own network namespace
        callee_url=lambda callee, port: f"http://{child_name(owner, callee)}:{port}",
        proxy_networks=spec.network.pod_cidrs,
    )
    drain = {DRAIN_ENV: str(spec.rollout.shutdown_delay_seconds)}
    return dict(sorted({**drain, **data}.items()))


def config_hash(data: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def config_map(owner: Owner, spec: OrderPipelineSpec, workload: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": child_name(owner, workload)},
        "data": config_data(owner, spec, workload),
    }


def secret_refs(spec: OrderPipelineSpec, workload: str) -> dict[str, tuple[str, str]]:
    """Variable name -> (Secret name, key) for every secret the workload reads, sorted by name."""
    refs: dict[str, tuple[str, str]] = {
        name: (ref.name, ref.key) for name, ref in spec.workloads[workload].secret_env.items()
    }
    if topology.uses_postgres(workload) and spec.postgres is not None:
        refs["DATABASE_URL"] = (spec.postgres.secret_ref.name, workload)
    if topology.uses_redis(workload) and spec.redis is not None:
        refs["REDIS_URL"] = (spec.redis.secret_ref.name, spec.redis.secret_ref.key)
    if topology.uses_kafka(workload) and spec.kafka and spec.kafka.auth_secret_ref:
        refs["KAFKA_SASL_USERNAME"] = (spec.kafka.auth_secret_ref.name, "username")
        refs["KAFKA_SASL_PASSWORD"] = (spec.kafka.auth_secret_ref.name, "password")
    return dict(sorted(refs.items()))


def secret_env(spec: OrderPipelineSpec, workload: str) -> list[dict[str, Any]]:
    """Secrets as env vars, one key each (never a whole Secret), sorted by variable name."""
    return [
        {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
        for name, (secret, key) in secret_refs(spec, workload).items()
    ]


def _container(spec: OrderPipelineSpec, owner: Owner, workload: str) -> dict[str, Any]:
    this = spec.workloads[workload]
    container: dict[str, Any] = {
        "name": workload,
        "image": this.image,
        "imagePullPolicy": this.image_pull_policy,
        # One services image runs every workload (ADR 0032): the pod says which one.
        "command": ["python", "-m", f"workloads.{workload}"],
        "ports": [{"name": "http", "containerPort": this.port, "protocol": "TCP"}],
        "envFrom": [{"configMapRef": {"name": child_name(owner, workload)}}],
        "env": secret_env(spec, workload),
        "resources": {
            "requests": this.resources.requests.wire(),
            "limits": this.resources.limits.wire(),
        },
        # Startup covers migrations; after it, liveness restarts a hung process and readiness
        # (which checks the database, Kafka and the consumer groups) takes it out of endpoints.
        "startupProbe": _probe("/health/live", period=2, failures=60),
        "livenessProbe": _probe("/health/live", period=10, failures=3),
        "readinessProbe": _probe("/health/ready", period=5, failures=2),
        "securityContext": container_security_context(),
        "volumeMounts": [
            {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 - an emptyDir
            flags.volume_mount(),
        ],
    }
    return container


def _probe(path: str, *, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": "http", "scheme": "HTTP"},
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": failures,
    }


def deployment(
    owner: Owner,
    spec: OrderPipelineSpec,
    workload: str,
    *,
    replicas: int | None,
    config_digest: str,
) -> dict[str, Any]:
    """`replicas=None` leaves the count to an HPA (a rendered count would fight it)."""
    match = selector(owner, workload)
    rollout = spec.rollout
    pod_spec: dict[str, Any] = {
        "serviceAccountName": child_name(owner, workload),
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": rollout.termination_grace_period_seconds,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [_container(spec, owner, workload)],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": TMP_SIZE}}, flags.volume(owner)],
    }
    # Always, even for one pod: the template must not depend on scale units (a changed template
    # is a rollout, and units move with the scale subresource). The constraint is soft.
    pod_spec["topologySpreadConstraints"] = [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": match},
        }
        for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
    ]
    body: dict[str, Any] = {
        "revisionHistoryLimit": 5,
        "progressDeadlineSeconds": rollout.progress_deadline_seconds,
        "selector": {"matchLabels": match},
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {
                "maxSurge": rollout.max_surge,
                "maxUnavailable": rollout.max_unavailable,
            },
        },
        "template": {
            "metadata": {
                "labels": labels(owner, workload),
                "annotations": {CONFIG_HASH: config_digest},
            },
            "spec": pod_spec,
        },
    }
    if replicas is not None:
        body = {"replicas": replicas, **body}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": child_name(owner, workload)},
        "spec": body,
    }
