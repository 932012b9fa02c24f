"""CKV_CONVEYOR_1: every taggable resource carries project, environment, owner and cost-center.

Cost reports and on-call routing group by these tags; a resource without them is nobody's.
Loaded by checkov from `--external-checks-dir`; runs in `.venv-checkov`, not the project's venv.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

REQUIRED_TAGS = ("project", "environment", "owner", "cost-center")

# The taggable Terraform types Conveyor declares (policies/terraform_types.json).
TAGGABLE = (
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
)


class RequiredTags(BaseResourceCheck):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(
            name="Conveyor: resources carry the project, environment, owner and cost-center tags",
            id="CKV_CONVEYOR_1",
            categories=[CheckCategories.CONVENTION],
            supported_resources=TAGGABLE,
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        tags = (conf.get("tags") or [{}])[0]
        if not isinstance(tags, dict):
            return CheckResult.FAILED
        present = all(str(tags.get(key) or "").strip() for key in REQUIRED_TAGS)
        return CheckResult.PASSED if present else CheckResult.FAILED

    def get_evaluated_keys(self) -> list[str]:
        return [f"tags/[0]/{key}" for key in REQUIRED_TAGS]


check = RequiredTags()
