"""IAM and KMS policy documents as pure functions (JSON strings), so tests can read them."""

from __future__ import annotations

import json
from typing import Any

Statement = dict[str, Any]


def document(*statements: Statement) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def service_trust(service: str) -> str:
    """A role only the named AWS service may assume (e.g. `eks.amazonaws.com`)."""
    return document(
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    )


def irsa_trust(provider_arn: str, issuer: str, namespace: str, service_account: str) -> str:
    """A role one Kubernetes service account may assume through the cluster's OIDC provider."""
    host = issuer.removeprefix("https://")
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {f"{host}:aud": "sts.amazonaws.com"},
                "StringLike": {
                    f"{host}:sub": f"system:serviceaccount:{namespace}:{service_account}"
                },
            },
        }
    )


def key_policy(
    account_id: str, region: str, *, for_logs: bool, for_autoscaling: bool = False
) -> str:
    """The account administers the key (IAM policies then grant use); a logs key also admits
    CloudWatch Logs, but only for this account's log groups in this region (the documented
    encryption-context condition). A key for node volumes admits the EC2 Auto Scaling
    service-linked role, which launches the managed node groups' instances and must encrypt
    their volumes and grant EC2 the key (grants only for AWS resources), as AWS documents."""
    statements: list[Statement] = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if for_logs:
        statements.append(
            {
                "Sid": "CloudWatchLogsUse",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:aws:logs:{region}:{account_id}:log-group:*"
                        )
                    }
                },
            }
        )
    if for_autoscaling:
        autoscaling = (
            f"arn:aws:iam::{account_id}:role/aws-service-role/autoscaling.amazonaws.com/"
            "AWSServiceRoleForAutoScaling"
        )
        statements += [
            {
                "Sid": "AutoScalingUse",
                "Effect": "Allow",
                "Principal": {"AWS": autoscaling},
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                "Resource": "*",
            },
            {
                "Sid": "AutoScalingGrants",
                "Effect": "Allow",
                "Principal": {"AWS": autoscaling},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": True}},
            },
        ]
    return document(*statements)
