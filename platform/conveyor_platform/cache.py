"""ElastiCache Redis: encrypted at rest and in transit (TLS required), RBAC users.

Auth is an RBAC user group rather than a shared token: the `default` user is switched off, and
the workloads' own user authenticates with a password, because the services connect with a
`rediss://user:password@host:6379` URL (redis-py; no SigV4 token provider among their
dependencies). The password is generated once into a Secrets Manager secret on the Redis key
(credentials.py) and reaches the pods through External Secrets, never through code or outputs.
Multi-AZ with automatic failover where the stack config says.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from conveyor_platform import credentials
from conveyor_platform.config import Cache as CacheConfig
from conveyor_platform.firewall import cluster_only_security_group
from conveyor_platform.tags import Tagging

REDIS_PORT = 6379


@dataclass(frozen=True)
class CacheArgs:
    prefix: str
    config: CacheConfig
    availability_zones: list[str]
    tagging: Tagging
    vpc_id: pulumi.Input[str]
    isolated_subnet_ids: list[pulumi.Output[str]]
    cluster_security_group_id: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int


class Cache(pulumi.ComponentResource):
    group: aws.elasticache.ReplicationGroup
    app_user: aws.elasticache.User
    app_secret: aws.secretsmanager.Secret
    primary_endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("conveyor:platform:Cache", name, None, opts)
        config, prefix, tag = args.config, args.prefix, args.tagging.of
        child = pulumi.ResourceOptions(parent=self)

        security_group = cluster_only_security_group(
            f"{prefix}-redis-sg",
            vpc_id=args.vpc_id,
            cluster_security_group_id=args.cluster_security_group_id,
            ports=[(REDIS_PORT, "Redis (TLS) from the cluster")],
            role="cache",
            tagging=args.tagging,
            parent=self,
        )
        subnet_group = aws.elasticache.SubnetGroup(
            f"{prefix}-redis-subnets",
            name=f"{prefix}-redis",
            subnet_ids=args.isolated_subnet_ids,
            tags=tag(f"{prefix}-redis"),
            opts=child,
        )
        # RBAC: `default` off, the app user authenticates with the generated password.
        default_user = aws.elasticache.User(
            f"{prefix}-redis-default",
            user_id=f"{prefix}-default",
            user_name="default",
            engine="redis",
            access_string="off -@all",
            authentication_mode=aws.elasticache.UserAuthenticationModeArgs(
                type="no-password-required"
            ),
            tags=tag(f"{prefix}-redis-default"),
            opts=child,
        )
        app_name = f"{prefix}-app"
        credential = credentials.generated(
            f"{prefix}-redis-credential",
            secret_name=f"{prefix}/redis/{app_name}",
            username=app_name,
            description=f"{prefix}: Redis RBAC user of the workloads",
            key_arn=args.key_arn,
            tagging=args.tagging,
            parent=self,
        )
        self.app_secret = credential.secret
        self.app_user = aws.elasticache.User(
            f"{prefix}-redis-app",
            user_id=app_name,
            user_name=app_name,
            engine="redis",
            access_string="on ~* +@all -@dangerous",
            authentication_mode=aws.elasticache.UserAuthenticationModeArgs(
                type="password", passwords=[credential.password]
            ),
            tags=tag(f"{prefix}-redis-app"),
            # The first password stays: rotation changes the secret and the user together,
            # outside Pulumi (platform/README.md).
            opts=pulumi.ResourceOptions(
                parent=self, ignore_changes=["authenticationMode.passwords"]
            ),
        )
        users = aws.elasticache.UserGroup(
            f"{prefix}-redis-users",
            user_group_id=f"{prefix}-redis",
            engine="redis",
            user_ids=[default_user.user_id, self.app_user.user_id],
            tags=tag(f"{prefix}-redis"),
            opts=child,
        )
        slow_log = aws.cloudwatch.LogGroup(
            f"{prefix}-redis-slow-log",
            name=f"/conveyor/{args.tagging.environment}/redis/slow-log",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_key_arn,
            tags=tag(f"{prefix}-redis-slow-log"),
            opts=child,
        )
        zones = [
            args.availability_zones[i % len(args.availability_zones)]
            for i in range(config.num_cache_clusters)
        ]
        self.group = aws.elasticache.ReplicationGroup(
            f"{prefix}-redis",
            replication_group_id=f"{prefix}-redis",
            description=f"{prefix}: rate limits and caches",
            engine="redis",
            engine_version=config.engine_version,
            node_type=config.node_type,
            port=REDIS_PORT,
            num_cache_clusters=config.num_cache_clusters,
            preferred_cache_cluster_azs=zones,
            automatic_failover_enabled=config.automatic_failover,
            multi_az_enabled=config.multi_az,
            at_rest_encryption_enabled=True,
            kms_key_id=args.key_arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            user_group_ids=[users.user_group_id],
            subnet_group_name=subnet_group.name,
            security_group_ids=[security_group.id],
            snapshot_retention_limit=config.snapshot_retention_days,
            auto_minor_version_upgrade=True,
            log_delivery_configurations=[
                aws.elasticache.ReplicationGroupLogDeliveryConfigurationArgs(
                    destination=slow_log.name,
                    destination_type="cloudwatch-logs",
                    log_format="json",
                    log_type="slow-log",
                )
            ],
            tags=tag(f"{prefix}-redis"),
            opts=child,
        )
        self.primary_endpoint = self.group.primary_endpoint_address
        self.reader_endpoint = self.group.reader_endpoint_address
        self.register_outputs({"primaryEndpoint": self.primary_endpoint})
