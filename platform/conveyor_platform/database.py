"""RDS PostgreSQL: encrypted, TLS-only, private, with backups and retention per environment.

One instance holds a database per service, or each service gets its own instance when the
stack config sets `perServiceInstances`. The master password is generated and rotated by RDS in
Secrets Manager (`manage_master_user_password`); the program never sees it and the stack only
exports its ARN. The per-service databases and roles themselves are created by the workloads'
migrations (docs/adr/0007) when they first connect as the master user via the secret: creating
objects *inside* PostgreSQL would need a provider that reaches the isolated subnets, which a
`pulumi up` from outside the VPC cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from conveyor_platform import iam_documents
from conveyor_platform.config import Database as DatabaseConfig
from conveyor_platform.firewall import cluster_only_security_group
from conveyor_platform.tags import Tagging

POSTGRES_PORT = 5432
LOG_EXPORTS = ("postgresql", "upgrade")


@dataclass(frozen=True)
class DatabaseArgs:
    prefix: str
    config: DatabaseConfig
    services: list[str]
    tagging: Tagging
    vpc_id: pulumi.Input[str]
    isolated_subnet_ids: list[pulumi.Output[str]]
    cluster_security_group_id: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int


class Database(pulumi.ComponentResource):
    instances: dict[str, aws.rds.Instance]
    endpoints: dict[str, pulumi.Output[str]]
    secret_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("conveyor:platform:Database", name, None, opts)
        config, prefix, tag = args.config, args.prefix, args.tagging.of
        child = pulumi.ResourceOptions(parent=self)

        security_group = cluster_only_security_group(
            f"{prefix}-db-sg",
            vpc_id=args.vpc_id,
            cluster_security_group_id=args.cluster_security_group_id,
            ports=[(POSTGRES_PORT, "PostgreSQL from the cluster")],
            role="database",
            tagging=args.tagging,
            parent=self,
        )
        subnet_group = aws.rds.SubnetGroup(
            f"{prefix}-db-subnets",
            name=f"{prefix}-db",
            subnet_ids=args.isolated_subnet_ids,
            tags=tag(f"{prefix}-db"),
            opts=child,
        )
        # TLS only, and enough logging to debug slow queries and connection storms.
        parameters = aws.rds.ParameterGroup(
            f"{prefix}-db-params",
            name=f"{prefix}-db",
            family=config.parameter_group_family,
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1"),
                aws.rds.ParameterGroupParameterArgs(name="log_connections", value="1"),
                aws.rds.ParameterGroupParameterArgs(name="log_min_duration_statement", value="500"),
            ],
            tags=tag(f"{prefix}-db"),
            opts=child,
        )
        monitoring_role = aws.iam.Role(
            f"{prefix}-db-monitoring",
            assume_role_policy=iam_documents.service_trust("monitoring.rds.amazonaws.com"),
            tags=tag(f"{prefix}-db-monitoring"),
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{prefix}-db-monitoring-policy",
            role=monitoring_role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
            opts=child,
        )

        owners = args.services if config.per_service_instances else ["shared"]
        self.instances = {}
        for owner in owners:
            identifier = f"{prefix}-db" if owner == "shared" else f"{prefix}-db-{owner}"
            # RDS would create these groups itself, kept forever and on no key of ours; they
            # exist first (encrypted, with retention), and outlive the instance on destroy.
            log_groups = [
                aws.cloudwatch.LogGroup(
                    f"{identifier}-{export}-logs",
                    name=f"/aws/rds/instance/{identifier}/{export}",
                    retention_in_days=args.log_retention_days,
                    kms_key_id=args.logs_key_arn,
                    tags=tag(f"{identifier}-{export}-logs"),
                    opts=child,
                )
                for export in LOG_EXPORTS
            ]
            self.instances[owner] = aws.rds.Instance(
                identifier,
                identifier=identifier,
                engine="postgres",
                engine_version=config.engine_version,
                instance_class=config.instance_class,
                allocated_storage=config.allocated_storage_gib,
                max_allocated_storage=config.max_allocated_storage_gib,
                storage_type="gp3",
                storage_encrypted=True,
                kms_key_id=args.key_arn,
                username="conveyor_admin",
                manage_master_user_password=True,
                master_user_secret_kms_key_id=args.key_arn,
                iam_database_authentication_enabled=True,
                db_subnet_group_name=subnet_group.name,
                vpc_security_group_ids=[security_group.id],
                parameter_group_name=parameters.name,
                publicly_accessible=False,
                multi_az=config.multi_az,
                backup_retention_period=config.backup_retention_days,
                deletion_protection=config.deletion_protection,
                skip_final_snapshot=config.skip_final_snapshot,
                final_snapshot_identifier=None
                if config.skip_final_snapshot
                else f"{identifier}-final",
                copy_tags_to_snapshot=True,
                delete_automated_backups=False,
                auto_minor_version_upgrade=True,
                performance_insights_enabled=True,
                performance_insights_kms_key_id=args.key_arn,
                performance_insights_retention_period=config.performance_insights_retention_days,
                monitoring_interval=60,
                monitoring_role_arn=monitoring_role.arn,
                enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
                tags=tag(identifier, **({} if owner == "shared" else {"service": owner})),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment, *log_groups]),
            )
        self.endpoints = {owner: db.endpoint for owner, db in self.instances.items()}
        self.secret_arns = {
            owner: db.master_user_secrets[0].secret_arn.apply(lambda arn: arn or "")
            for owner, db in self.instances.items()
        }
        self.register_outputs({"endpoints": self.endpoints, "secretArns": self.secret_arns})
