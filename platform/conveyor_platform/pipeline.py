"""The OrderPipeline of one environment, wired to the stack's outputs (a pure function).

The spec follows the operator's contract (operators/pipeline/spec.py; a test validates it with
that model). The operator reads connection settings from Kubernetes Secrets named in the spec,
which External Secrets fills from Secrets Manager (connections.py); the AWS side of each is also
recorded in annotations — endpoints, secret ARNs, the workloads' IAM role, how Kafka and Redis
authenticate — for a person reading the object. No secret value passes through Pulumi.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from workloads.catalogue import BY_NAME

API_VERSION = "conveyor.dev/v1alpha1"
KIND = "OrderPipeline"
ANNOTATION = "conveyor.dev/"
# The Kubernetes Secrets the operator reads connection settings from (names, not contents).
SECRET_REFS = {
    "kafka": "conveyor-kafka",
    "postgres": "conveyor-postgres",
    "redis": "conveyor-redis",
}
# The workloads' own secrets (each workload's catalogue `secrets`): environment variable ->
# (Kubernetes Secret, key). Generated in Secrets Manager and copied by External Secrets
# (connection_secrets.py); the same names as operators/examples/.
APP_SECRETS: dict[str, tuple[str, str]] = {
    "ADMIN_TOKEN": ("conveyor-admin", "token"),
    "SIGNING_KEY_PASSPHRASE": ("conveyor-identity", "signing-key-passphrase"),
}


@dataclass(frozen=True)
class PipelineWiring:
    name: str
    namespace: str
    replicas: int
    workloads: list[str]
    image_registry: str
    image_tag: str
    kafka_bootstrap: str
    kafka_partitions: int
    kafka_replication_factor: int
    kafka_min_insync_replicas: int
    redis_endpoint: str
    redis_user: str
    postgres_endpoints: dict[str, str]
    postgres_secret_arns: dict[str, str]
    role_arn: str
    monitoring_namespace: str


def references(wiring: PipelineWiring) -> dict[str, str]:
    """Where the Secrets' contents come from on AWS (references only)."""
    return {
        f"{ANNOTATION}aws-role-arn": wiring.role_arn,
        f"{ANNOTATION}kafka-auth": "sasl-scram-sha-512",
        f"{ANNOTATION}postgres-endpoints": json.dumps(wiring.postgres_endpoints, sort_keys=True),
        f"{ANNOTATION}postgres-master-secret-arns": json.dumps(
            wiring.postgres_secret_arns, sort_keys=True
        ),
        f"{ANNOTATION}redis-auth": "rbac-password",
        f"{ANNOTATION}redis-endpoint": wiring.redis_endpoint,
        f"{ANNOTATION}redis-user": wiring.redis_user,
    }


def secret_env(workload: str) -> dict[str, dict[str, str]]:
    """The `secretEnv` of one workload: each secret it refuses to start without, by reference."""
    record = BY_NAME[workload]
    return {
        env: {"name": APP_SECRETS[env][0], "key": APP_SECRETS[env][1]} for env in record.secrets
    }


def spec(wiring: PipelineWiring) -> dict[str, Any]:
    return {
        "workloads": {
            name: {
                "image": f"{wiring.image_registry}/conveyor/{name}:{wiring.image_tag}",
                "replicas": wiring.replicas,
                **({"secretEnv": secret_env(name)} if BY_NAME[name].secrets else {}),
            }
            for name in wiring.workloads
        },
        "kafka": {
            "bootstrapServers": wiring.kafka_bootstrap,
            "authSecretRef": {"name": SECRET_REFS["kafka"]},
            "topics": {
                "partitions": wiring.kafka_partitions,
                "replicationFactor": wiring.kafka_replication_factor,
                "minInsyncReplicas": wiring.kafka_min_insync_replicas,
            },
        },
        "postgres": {"secretRef": {"name": SECRET_REFS["postgres"]}},
        "redis": {"secretRef": {"name": SECRET_REFS["redis"], "key": "url"}},
        "monitoring": {"namespace": wiring.monitoring_namespace},
    }


def manifest(wiring: PipelineWiring) -> dict[str, Any]:
    """The whole object, as the operator's model and `kubectl` would read it."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": wiring.name,
            "namespace": wiring.namespace,
            "annotations": references(wiring),
        },
        "spec": spec(wiring),
    }
