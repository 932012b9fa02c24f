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


def key_policy(account_id: str, region: str, services: list[str]) -> str:
    """The account administers the key; the named services may use it (logs need this)."""
    statements: list[Statement] = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    for service in services:
        statements.append(
            {
                "Sid": "Use" + "".join(part.capitalize() for part in service.split(".")[:1]),
                "Effect": "Allow",
                "Principal": {"Service": service.format(region=region)},
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        )
    return document(*statements)
