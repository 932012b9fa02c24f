"""The Secrets the OrderPipeline names, filled by External Secrets from Secrets Manager.

The workloads' own secrets (pipeline.APP_SECRETS: the admin token, identity's signing-key
passphrase) are generated here in Secrets Manager, once, on the Kubernetes secrets key
(credentials.py). The pipeline namespace gets a reader account (no token mounted into pods) bound
by IRSA to a role that may read exactly these and the connection secrets (Kafka SCRAM, the Redis
user, each RDS master secret) and decrypt them with their keys; a namespaced SecretStore
authenticates as that account, and one ExternalSecret per Secret the pipeline references fills it.
The ExternalSecrets depend on the store and the External Secrets release, and the OrderPipeline
depends on the ExternalSecrets: on destroy the pipeline goes first, then the ExternalSecrets (their
Secrets go with them), then the operator that served them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from conveyor_platform import connections, credentials, moved, pipeline
from conveyor_platform.tags import Tagging


def _spec_of(target: str, specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return specs[target]


@dataclass(frozen=True)
class ConnectionSecretsArgs:
    prefix: str
    region: str
    namespace: str  # the pipeline's
    pipeline_namespace: k8s.core.v1.Namespace
    reader_role: aws.iam.Role  # IRSA role of the namespace's reader account
    external_secrets: k8s.helm.v3.Release
    redis_endpoint: pulumi.Output[str]
    postgres_endpoints: dict[str, pulumi.Output[str]]
    postgres_secret_arns: dict[str, pulumi.Output[str]]
    database_owners: list[str]  # workloads with a database (keys of `conveyor-postgres`)
    kafka_secret_arn: pulumi.Output[str]  # the SCRAM credential of the workloads
    redis_secret_arn: pulumi.Output[str]  # the Redis user's credential
    secret_key_arns: list[pulumi.Output[str]]  # the KMS keys those secrets are encrypted with
    app_key_arn: pulumi.Input[str]  # the KMS key of the workloads' own secrets
    tagging: Tagging


class ConnectionSecrets(pulumi.ComponentResource):
    external_secrets: dict[str, pulumi.CustomResource]  # by the Secret each one fills

    def __init__(
        self,
        name: str,
        args: ConnectionSecretsArgs,
        *,
        formerly: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("conveyor:platform:ConnectionSecrets", name, None, opts)
        prefix, namespace, release = args.prefix, args.namespace, args.external_secrets
        ns = args.pipeline_namespace
        # The workloads' own secrets: a generated value each, set once (Kubernetes Secret -> it).
        targets = sorted(pipeline.APP_SECRETS.values())
        generated = {
            target: credentials.generated(
                f"{prefix}-{target}-credential",
                secret_name=f"{prefix}/{target}",
                username=key,
                description=f"{prefix}: the workloads' {target} Secret ({key})",
                key_arn=args.app_key_arn,
                tagging=args.tagging,
                parent=self,
            ).secret.arn
            for target, key in targets
        }
        secret_arns = [
            args.kafka_secret_arn,
            args.redis_secret_arn,
            *(args.postgres_secret_arns[o] for o in sorted(args.postgres_secret_arns)),
            *(generated[target] for target, _ in targets),
        ]
        count = len(secret_arns)
        # What the reader role may read: these secrets, decrypted with their keys.
        reader_policy = aws.iam.RolePolicy(
            f"{prefix}-secrets-reader-policy",
            role=args.reader_role.id,
            policy=pulumi.Output.all(*secret_arns, *args.secret_key_arns, args.app_key_arn).apply(
                lambda v: connections.reader_policy(list(v[:count]), list(v[count:]), args.region)
            ),
            opts=moved.under(self, formerly=formerly),
        )
        # The account the SecretStore authenticates as; no token is mounted into pods.
        reader = k8s.core.v1.ServiceAccount(
            f"{prefix}-secrets-reader-account",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=connections.READER_ACCOUNT,
                namespace=namespace,
                annotations={"eks.amazonaws.com/role-arn": args.reader_role.arn},
            ),
            automount_service_account_token=False,
            opts=moved.under(self, formerly=formerly, depends_on=[ns]),
        )
        owners = sorted(args.postgres_endpoints)
        wiring = pulumi.Output.all(
            args.kafka_secret_arn,
            args.redis_secret_arn,
            args.redis_endpoint,
            *(args.postgres_endpoints[o] for o in owners),
            *(args.postgres_secret_arns[o] for o in owners),
            *(generated[target] for target, _ in targets),
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
                app_secrets={
                    target: connections.AppSecretSource(key=key, secret_arn=arn)
                    for (target, key), arn in zip(targets, v[3 + 2 * len(owners) :], strict=True)
                },
            )
        )
        # The pipeline namespace's SecretStore: Secrets Manager, as the reader account.
        store = k8s.apiextensions.CustomResource(
            f"{prefix}-secret-store",
            api_version=connections.API_VERSION,
            kind="SecretStore",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=connections.STORE_NAME, namespace=namespace),
            spec=wiring.apply(connections.secret_store),
            opts=moved.under(
                self, formerly=formerly, depends_on=[release, reader, reader_policy, ns]
            ),
        )
        # One ExternalSecret per Secret the pipeline references (Kafka, Redis, the databases,
        # the workloads' own).
        specs = wiring.apply(connections.external_secrets)
        kinds = {**pipeline.SECRET_REFS, **{target: target for target, _ in targets}}
        self.external_secrets = {
            target: k8s.apiextensions.CustomResource(
                f"{prefix}-external-secret-{kind}",
                api_version=connections.API_VERSION,
                kind="ExternalSecret",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=target, namespace=namespace),
                spec=specs.apply(functools.partial(_spec_of, target)),
                opts=moved.under(self, formerly=formerly, depends_on=[store, release]),
            )
            for kind, target in sorted(kinds.items())
        }
        self.register_outputs({"secrets": sorted(self.external_secrets)})
