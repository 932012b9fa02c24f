"""The connection Secrets the OrderPipeline names, built by External Secrets from Secrets Manager.

Pure functions from plain values (ARNs, endpoints) to manifests and a policy, so tests read them
directly. The operator's contract (operators/pipeline/pods.py) decides the keys:
- `conveyor-kafka`: `username` and `password` (KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD), copied
  from the MSK SCRAM secret;
- `conveyor-redis`: `url` = `rediss://<user>:<password>@<primary endpoint>:6379`, templated from
  the Redis user's secret;
- `conveyor-postgres`: one key per database-owning workload, named after it, holding its
  DATABASE_URL: `postgresql://<user>:<password>@<endpoint>/conveyor_<workload>?sslmode=require`
  from the RDS-managed master secret of the instance that holds the workload's database (the
  shared one, or the workload's own with `perServiceInstances`). RDS rotates that secret and
  External Secrets refreshes the copy; per-service database roles are open work (ADR 9).

A namespaced SecretStore authenticates as one service account of the pipeline's namespace
(`jwt.serviceAccountRef`, IRSA): only ExternalSecrets in that namespace can use the role, and the
role may read exactly these secrets. No value passes through Pulumi: the manifests hold ARNs,
endpoints and templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conveyor_platform import iam_documents
from conveyor_platform.credentials import PASSWORD_KEY, USERNAME_KEY
from workloads.catalogue import database_name

API_VERSION = "external-secrets.io/v1"
STORE_NAME = "aws-secrets-manager"
READER_ACCOUNT = "conveyor-secrets-reader"
REFRESH = "1h"
REDIS_PORT = 6379
GRAFANA_ADMIN_SECRET = "grafana-admin"  # noqa: S105 - a Kubernetes Secret's name
GRAFANA_USER_KEY = "admin-user"
GRAFANA_PASSWORD_KEY = "admin-password"  # noqa: S105 - a key name


@dataclass(frozen=True)
class PostgresSource:
    """Where one workload's database lives: its instance's endpoint and master secret."""

    instance: str  # "shared" or the workload's name
    endpoint: str  # host:port
    secret_arn: str


@dataclass(frozen=True)
class AppSecretSource:
    """One of the workloads' own secrets (pipeline.APP_SECRETS): its key and generated secret."""

    key: str  # the key of the Kubernetes Secret
    secret_arn: str  # its value is the generated password of this Secrets Manager secret


@dataclass(frozen=True)
class ConnectionWiring:
    namespace: str
    region: str
    kafka_secret_arn: str
    redis_secret_arn: str
    redis_endpoint: str
    postgres: dict[str, PostgresSource]  # database-owning workload -> its source
    secret_names: dict[str, str]  # "kafka" | "postgres" | "redis" -> Kubernetes Secret name
    app_secrets: dict[str, AppSecretSource]  # Kubernetes Secret name -> where its value is


def reader_policy(secret_arns: list[str], key_arns: list[str], region: str) -> str:
    """Read exactly these secrets, and decrypt with their keys only through Secrets Manager."""
    return iam_documents.document(
        {
            "Sid": "ReadConnectionSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": sorted(set(secret_arns)),
        },
        {
            "Sid": "DecryptThroughSecretsManager",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": sorted(set(key_arns)),
            "Condition": {
                "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
            },
        },
    )


def secret_store(wiring: ConnectionWiring) -> dict[str, Any]:
    return store_spec(wiring.region)


def store_spec(region: str) -> dict[str, Any]:
    """A SecretStore authenticating as its namespace's reader account (IRSA)."""
    return {
        "provider": {
            "aws": {
                "service": "SecretsManager",
                "region": region,
                "auth": {"jwt": {"serviceAccountRef": {"name": READER_ACCOUNT}}},
            }
        }
    }


def _from(arn: str, secret_key: str, json_key: str) -> dict[str, Any]:
    return {"secretKey": secret_key, "remoteRef": {"key": arn, "property": json_key}}


def _external_secret(
    target: str, data: list[dict[str, Any]], template: dict[str, str] | None = None
) -> dict[str, Any]:
    target_spec: dict[str, Any] = {"name": target, "creationPolicy": "Owner"}
    if template is not None:
        target_spec["template"] = {"engineVersion": "v2", "data": template}
    return {
        "refreshInterval": REFRESH,
        "secretStoreRef": {"kind": "SecretStore", "name": STORE_NAME},
        "target": target_spec,
        "data": data,
    }


def kafka(wiring: ConnectionWiring) -> dict[str, Any]:
    arn = wiring.kafka_secret_arn
    return _external_secret(
        wiring.secret_names["kafka"],
        [_from(arn, USERNAME_KEY, USERNAME_KEY), _from(arn, PASSWORD_KEY, PASSWORD_KEY)],
    )


def redis(wiring: ConnectionWiring) -> dict[str, Any]:
    arn = wiring.redis_secret_arn
    url = (
        "rediss://{{ .username | urlquery }}:{{ .password | urlquery }}"
        f"@{wiring.redis_endpoint}:{REDIS_PORT}"
    )
    return _external_secret(
        wiring.secret_names["redis"],
        [_from(arn, "username", USERNAME_KEY), _from(arn, "password", PASSWORD_KEY)],
        {"url": url},
    )


def postgres(wiring: ConnectionWiring) -> dict[str, Any]:
    """One DATABASE_URL per workload; each instance's secret is read once."""
    instances = {source.instance: source for source in wiring.postgres.values()}
    data = [
        entry
        for instance, source in sorted(instances.items())
        for entry in (
            _from(source.secret_arn, f"{instance}_username", USERNAME_KEY),
            _from(source.secret_arn, f"{instance}_password", PASSWORD_KEY),
        )
    ]
    template = {
        workload: (
            f"postgresql://{{{{ .{source.instance}_username | urlquery }}}}"
            f":{{{{ .{source.instance}_password | urlquery }}}}"
            f"@{source.endpoint}/{database_name(workload)}?sslmode=require"
        )
        for workload, source in sorted(wiring.postgres.items())
    }
    return _external_secret(wiring.secret_names["postgres"], data, template)


def grafana_admin(secret_arn: str, target: str) -> dict[str, Any]:
    """Grafana's admin user and password (`grafana.admin.existingSecret`) from the generated
    secret, under the keys the chart reads by default."""
    return _external_secret(
        target,
        [
            _from(secret_arn, GRAFANA_USER_KEY, USERNAME_KEY),
            _from(secret_arn, GRAFANA_PASSWORD_KEY, PASSWORD_KEY),
        ],
    )


def external_secrets(wiring: ConnectionWiring) -> dict[str, dict[str, Any]]:
    """Kubernetes Secret name -> the ExternalSecret spec that builds it (connections, then the
    workloads' own secrets: one key each, the generated password)."""
    return {
        wiring.secret_names["kafka"]: kafka(wiring),
        wiring.secret_names["postgres"]: postgres(wiring),
        wiring.secret_names["redis"]: redis(wiring),
        **{
            target: _external_secret(target, [_from(source.secret_arn, source.key, PASSWORD_KEY)])
            for target, source in sorted(wiring.app_secrets.items())
        },
    }
