"""The tags every taggable resource must carry, and which Terraform types take tags.

One source for the CrossGuard pack; the checkov check (which runs in checkov's own environment and
cannot import this package) keeps a copy that a test holds equal to this one.
"""

from __future__ import annotations

REQUIRED_TAGS = ("project", "environment", "owner", "cost-center")

TAGGABLE_TF_TYPES = frozenset(
    {
        "aws_acm_certificate",
        "aws_cloudwatch_log_group",
        "aws_cloudwatch_metric_alarm",
        "aws_db_instance",
        "aws_db_parameter_group",
        "aws_db_subnet_group",
        "aws_default_network_acl",
        "aws_default_security_group",
        "aws_ecr_repository",
        "aws_eip",
        "aws_eks_access_entry",
        "aws_eks_addon",
        "aws_eks_cluster",
        "aws_eks_node_group",
        "aws_eks_pod_identity_association",
        "aws_elasticache_parameter_group",
        "aws_elasticache_replication_group",
        "aws_elasticache_subnet_group",
        "aws_elasticache_user",
        "aws_elasticache_user_group",
        "aws_flow_log",
        "aws_iam_instance_profile",
        "aws_iam_openid_connect_provider",
        "aws_iam_policy",
        "aws_iam_role",
        "aws_internet_gateway",
        "aws_kms_key",
        "aws_launch_template",
        "aws_lb",
        "aws_lb_listener",
        "aws_lb_target_group",
        "aws_msk_cluster",
        "aws_nat_gateway",
        "aws_network_acl",
        "aws_route53_zone",
        "aws_route_table",
        "aws_s3_bucket",
        "aws_secretsmanager_secret",
        "aws_security_group",
        "aws_sns_topic",
        "aws_ssm_parameter",
        "aws_subnet",
        "aws_vpc",
        "aws_vpc_endpoint",
        "aws_vpc_security_group_egress_rule",
        "aws_vpc_security_group_ingress_rule",
    }
)


def missing_tags(tags: object) -> list[str]:
    """The required tags absent or blank in `tags` (a Pulumi `tags` input)."""
    present = tags if isinstance(tags, dict) else {}
    return [key for key in REQUIRED_TAGS if not str(present.get(key) or "").strip()]
