"""CKV_CONVEYOR_2: MSK speaks TLS only (client-broker and in-cluster) and authenticates clients.

Workloads authenticate with IAM (or SCRAM); an unauthenticated or plaintext listener would let
anything in the VPC read orders and payments. Absent settings count as failures: the rule is
that the program states them, not that a provider default happens to be safe today.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


def _block(conf: dict[str, Any], key: str) -> dict[str, Any]:
    value = (conf.get(key) or [{}])[0]
    return value if isinstance(value, dict) else {}


def _value(conf: dict[str, Any], key: str) -> Any:
    value = conf.get(key)
    return value[0] if isinstance(value, list) and value else value


class MskTlsAndClientAuth(BaseResourceCheck):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(
            name="Conveyor: MSK encrypts in transit with TLS only and requires IAM or SCRAM auth",
            id="CKV_CONVEYOR_2",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=("aws_msk_cluster",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        transit = _block(_block(conf, "encryption_info"), "encryption_in_transit")
        tls = _value(transit, "client_broker") == "TLS" and _value(transit, "in_cluster") is True
        auth = _block(conf, "client_authentication")
        sasl = _block(auth, "sasl")
        authenticated = _value(sasl, "iam") is True or _value(sasl, "scram") is True
        closed = _value(auth, "unauthenticated") is not True
        return CheckResult.PASSED if tls and authenticated and closed else CheckResult.FAILED

    def get_evaluated_keys(self) -> list[str]:
        return [
            "encryption_info/[0]/encryption_in_transit/[0]/client_broker",
            "encryption_info/[0]/encryption_in_transit/[0]/in_cluster",
            "client_authentication/[0]/sasl/[0]/iam",
            "client_authentication/[0]/sasl/[0]/scram",
            "client_authentication/[0]/unauthenticated",
        ]


check = MskTlsAndClientAuth()
