"""The CrossGuard policies: each wraps a pure check from `findings` / `stack_findings`, mandatory.

Kept apart from `__main__.py` because constructing a `PolicyPack` starts the analyzer server the
pulumi CLI talks to; tests import the policies from here without serving anything.
"""

from __future__ import annotations

from collections.abc import Callable

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.crossguard import findings, stack_findings
from policies.terraform_types import load as load_types

MANDATORY = EnforcementLevel.MANDATORY
_TF_TYPES = load_types().resources


def _resource_policy(
    name: str, description: str, resource_type: str, check: Callable[[findings.Props], list[str]]
) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type == resource_type:
            for message in check(args.props):
                report_violation(message, None)

    return ResourceValidationPolicy(name, description, validate, MANDATORY)


def _required_tags(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for message in findings.tags(args.resource_type, args.props, _TF_TYPES):
        report_violation(message, None)


def _stack_policy(
    name: str,
    description: str,
    check: Callable[[list[stack_findings.Node]], list[stack_findings.Finding]],
) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for message, urn in check(list(args.resources)):
            report_violation(message, urn)

    return StackValidationPolicy(name, description, validate, MANDATORY)


POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    _resource_policy(
        "rds-private-and-encrypted",
        "RDS instances are not publicly accessible and encrypt storage.",
        findings.RDS,
        findings.rds,
    ),
    _resource_policy(
        "msk-tls-auth-and-encryption",
        "MSK encrypts in transit (TLS) and at rest (KMS) and authenticates clients (IAM/SCRAM).",
        findings.MSK,
        findings.msk,
    ),
    _resource_policy(
        "elasticache-encrypted",
        "ElastiCache replication groups encrypt at rest and in transit.",
        findings.REDIS,
        findings.elasticache,
    ),
    _resource_policy(
        "eks-secrets-encrypted",
        "EKS clusters encrypt Kubernetes secrets with a KMS key.",
        findings.EKS,
        findings.eks,
    ),
    _resource_policy(
        "security-group-no-open-ingress",
        "Security groups admit 0.0.0.0/0 only for the public load balancer, on 80/443.",
        findings.SG,
        findings.security_group,
    ),
    ResourceValidationPolicy(
        "required-tags",
        "Taggable resources carry project, environment, owner and cost-center.",
        _required_tags,
        MANDATORY,
    ),
    _stack_policy(
        "security-group-rules-no-open-ingress",
        "Standalone ingress rules admit 0.0.0.0/0 only into the public load balancer's group.",
        stack_findings.no_open_ingress_rules,
    ),
    _stack_policy(
        "data-tier-only-from-cluster",
        "RDS and ElastiCache security groups admit only the EKS cluster's security group.",
        stack_findings.data_tier_only_from_cluster,
    ),
]
