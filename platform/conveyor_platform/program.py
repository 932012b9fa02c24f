"""The composition root: one stack's components from one validated `StackConfig`.

`main()` is what Pulumi runs: it validates the config *before* declaring anything (a bad key
stops the run with its name), then `build` declares the components and `main` exports their
outputs. Outputs are names, endpoints and ARNs — never a secret value.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from conveyor_platform import config as stack_config
from conveyor_platform.addons import Addons, AddonsArgs
from conveyor_platform.cache import Cache, CacheArgs
from conveyor_platform.cluster import Cluster, ClusterArgs
from conveyor_platform.database import Database, DatabaseArgs
from conveyor_platform.keys import Keys, KeysArgs
from conveyor_platform.network import Network, NetworkArgs
from conveyor_platform.streaming import DEFAULT_PARTITIONS, Streaming, StreamingArgs
from conveyor_platform.tags import Tagging
from workloads.catalogue import WORKLOADS


def build(cfg: stack_config.StackConfig) -> dict[str, Any]:
    """Declare every resource of the stack; returns the stack outputs (Pulumi inputs)."""
    prefix = f"{stack_config.PROJECT}-{cfg.stack}"
    tagging = Tagging.of_stack(cfg)
    # Tags by default in a real deployment; components also pass them explicitly (see tags.py).
    aws_provider = aws.Provider(
        "aws",
        region=cfg.region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=tagging.required),
    )
    on_aws = pulumi.ResourceOptions(providers=[aws_provider])
    account_id = aws.get_caller_identity_output(
        opts=pulumi.InvokeOutputOptions(provider=aws_provider)
    ).account_id

    keys = Keys("keys", KeysArgs(prefix, cfg.region, account_id, tagging), on_aws)
    network = Network(
        "network", NetworkArgs(prefix, cfg.region, cfg.network, tagging, keys.logs.arn), on_aws
    )
    private_subnets = [s.id for s in network.private_subnets]
    isolated_subnets = [s.id for s in network.isolated_subnets]
    cluster = Cluster(
        "cluster",
        ClusterArgs(
            prefix=prefix,
            region=cfg.region,
            config=cfg.cluster,
            tagging=tagging,
            private_subnet_ids=private_subnets,
            secrets_key_arn=keys.cluster.arn,
            volumes_key_arn=keys.nodes.arn,
            logs_key_arn=keys.logs.arn,
            network_ready=[*network.private_routes],
        ),
        on_aws,
    )
    services = [w.name for w in WORKLOADS if w.owns_database]
    database = Database(
        "database",
        DatabaseArgs(
            prefix=prefix,
            config=cfg.database,
            services=services,
            tagging=tagging,
            vpc_id=network.vpc.id,
            isolated_subnet_ids=isolated_subnets,
            cluster_security_group_id=cluster.security_group_id,
            key_arn=keys.database.arn,
            logs_key_arn=keys.logs.arn,
            log_retention_days=cfg.cluster.log_retention_days,
        ),
        on_aws,
    )
    cache = Cache(
        "cache",
        CacheArgs(
            prefix=prefix,
            config=cfg.cache,
            availability_zones=cfg.network.availability_zones,
            tagging=tagging,
            vpc_id=network.vpc.id,
            isolated_subnet_ids=isolated_subnets,
            cluster_security_group_id=cluster.security_group_id,
            key_arn=keys.cache.arn,
            logs_key_arn=keys.logs.arn,
            log_retention_days=cfg.cluster.log_retention_days,
        ),
        on_aws,
    )
    streaming = Streaming(
        "streaming",
        StreamingArgs(
            prefix=prefix,
            config=cfg.streaming,
            tagging=tagging,
            vpc_id=network.vpc.id,
            isolated_subnet_ids=isolated_subnets,
            cluster_security_group_id=cluster.security_group_id,
            key_arn=keys.streaming.arn,
            logs_key_arn=keys.logs.arn,
        ),
        on_aws,
    )
    k8s_provider = k8s.Provider(
        "k8s",
        kubeconfig=cluster.kubeconfig,
        enable_server_side_apply=True,
        # Admin access outlives every Kubernetes resource: destroy removes those through it.
        opts=pulumi.ResourceOptions(depends_on=[*cluster.node_groups, *cluster.access]),
    )
    addons = Addons(
        "addons",
        AddonsArgs(
            prefix=prefix,
            region=cfg.region,
            config=cfg.addons,
            tagging=tagging,
            workloads=[w.name for w in WORKLOADS if w.runnable],
            cluster_name=cluster.name,
            vpc_id=network.vpc.id,
            vpc_cidr=str(cfg.network.cidr),
            oidc_provider_arn=cluster.oidc_provider.arn,
            oidc_issuer=cluster.oidc_issuer,
            cluster_ready=[
                *cluster.node_groups,
                *cluster.addons,
                *cluster.access,
                *network.private_routes,
            ],
            kafka_bootstrap=streaming.bootstrap_brokers,
            redis_user=cache.app_user.user_name,
            redis_endpoint=cache.primary_endpoint,
            postgres_endpoints=database.endpoints,
            postgres_secret_arns=database.secret_arns,
            database_owners=services,
            kafka_secret_arn=streaming.client_secret.arn,
            redis_secret_arn=cache.app_secret.arn,
            secret_key_arns=[keys.streaming.arn, keys.cache.arn, keys.database.arn],
            # The Kubernetes secrets key also guards Grafana's admin login and the workloads' own
            # secrets (admin token, signing-key passphrase) in Secrets Manager.
            admin_key_arn=keys.cluster.arn,
            kafka_partitions=DEFAULT_PARTITIONS,
            kafka_replication_factor=cfg.streaming.default_replication_factor,
            kafka_min_insync_replicas=cfg.streaming.min_insync_replicas,
        ),
        pulumi.ResourceOptions(providers=[aws_provider, k8s_provider]),
    )
    admin = cfg.cluster.admin_role_arns[0]
    return {
        "clusterName": cluster.name,
        "clusterEndpoint": cluster.eks.endpoint,
        "kubeconfigCommand": cluster.name.apply(
            lambda name: (
                f"aws eks update-kubeconfig --name {name} --region {cfg.region} --role-arn {admin}"
            )
        ),
        "oidcProviderArn": cluster.oidc_provider.arn,
        "vpcId": network.vpc.id,
        "privateSubnetIds": private_subnets,
        "isolatedSubnetIds": isolated_subnets,
        "databaseEndpoints": database.endpoints,
        "databaseSecretArns": database.secret_arns,
        "redisPrimaryEndpoint": cache.primary_endpoint,
        "redisReaderEndpoint": cache.reader_endpoint,
        "redisUser": cache.app_user.user_name,
        "kafkaBootstrapBrokers": streaming.bootstrap_brokers,
        "kafkaIamBootstrapBrokers": streaming.iam_bootstrap_brokers,
        "kafkaCredentialSecretArn": streaming.client_secret.arn,
        "redisCredentialSecretArn": cache.app_secret.arn,
        "secretsReaderRoleArn": addons.secrets_reader_role.arn,
        "kafkaClusterArn": streaming.cluster.arn,
        "grafanaUrl": f"https://{cfg.addons.grafana_host}",
        "workloadRoleArn": addons.workload_role.arn,
        "orderPipeline": f"{cfg.addons.pipeline_namespace}/{cfg.addons.pipeline_name}",
    }


def main() -> dict[str, Any]:
    """Validate, build, export: the body of `platform/__main__.py`."""
    cfg = stack_config.from_pulumi_runtime(pulumi.get_stack())
    outputs = build(cfg)
    for name, value in outputs.items():
        pulumi.export(name, value)
    return outputs
