"""Variants of the small graph, each breaking one rule, for checkov and CrossGuard alike."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from tests.support.policy_graphs import find, insecure_raw, set_input, small_raw

Raw = dict[str, Any]


def _extra_rule(raw: Raw, name: str, inputs: dict[str, Any], kind: str = "vpc") -> Raw:
    changed = copy.deepcopy(raw)
    template = find(changed, "conveyor-dev-cache-from-cluster")
    token = (
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
        if kind == "vpc"
        else "aws:ec2/securityGroupRule:SecurityGroupRule"
    )
    changed["resources"].append(
        {
            **copy.deepcopy(template),
            "type": token,
            "name": name,
            "urn": f"urn:pulumi:dev::conveyor::{token}::{name}",
            "id": f"{name}-id",
            "inputs": inputs,
            "state": {**inputs, "id": f"{name}-id"},
            "dependencies": [],
        }
    )
    return changed


def _db_from_lb() -> Raw:
    lb = "conveyor-dev-public-lb-sg-id"
    return set_input(small_raw(), "conveyor-dev-db-from-cluster", "sourceSecurityGroupId", lb)


def _cache_from_cidr() -> Raw:
    raw = copy.deepcopy(small_raw())
    rule = find(raw, "conveyor-dev-cache-from-cluster")
    for section in ("inputs", "state"):
        del rule[section]["referencedSecurityGroupId"]
        rule[section]["cidrIpv4"] = "10.0.0.0/8"
    return raw


def _open_rule(port: int) -> Raw:
    return _extra_rule(
        small_raw(),
        f"lb-open-{port}",
        {
            "ipProtocol": "tcp",
            "fromPort": port,
            "toPort": port,
            "cidrIpv4": "0.0.0.0/0",
            "securityGroupId": "conveyor-dev-public-lb-sg-id",
            "tags": dict(find(small_raw(), "conveyor-dev-vpc")["inputs"]["tags"]),
        },
    )


def _cluster_ssh_open() -> Raw:
    return _extra_rule(
        small_raw(),
        "cluster-ssh",
        {
            "type": "ingress",
            "protocol": "tcp",
            "fromPort": 22,
            "toPort": 22,
            "cidrBlocks": ["0.0.0.0/0"],
            "securityGroupId": "conveyor-dev-cluster-sg-id",
        },
        kind="ec2",
    )


def _inline_open() -> Raw:
    return set_input(
        small_raw(),
        "conveyor-dev-db-sg",
        "ingress",
        [{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["0.0.0.0/0"]}],
    )


def _untagged() -> Raw:
    tags = dict(find(small_raw(), "conveyor-dev-vpc")["inputs"]["tags"])
    del tags["cost-center"]
    return set_input(small_raw(), "conveyor-dev-vpc", "tags", tags)


def _msk_without_client_auth() -> Raw:
    return set_input(small_raw(), "conveyor-dev-kafka", "clientAuthentication.sasl.iam", False)


def _redis_plaintext() -> Raw:
    return set_input(small_raw(), "conveyor-dev-redis", "transitEncryptionEnabled", False)


def _eks_without_secrets_encryption() -> Raw:
    return set_input(small_raw(), "conveyor-dev-eks", "encryptionConfig", {"resources": []})


def _db_behind_cluster_group() -> Raw:
    groups = ["conveyor-dev-cluster-sg-id"]
    return set_input(small_raw(), "conveyor-dev-db", "vpcSecurityGroupIds", groups)


VARIANTS: dict[str, Callable[[], Raw]] = {
    "good": small_raw,
    "insecure": insecure_raw,
    "db_from_lb": _db_from_lb,
    "cache_from_cidr": _cache_from_cidr,
    "lb_open_443": lambda: _open_rule(443),
    "lb_open_22": lambda: _open_rule(22),
    "cluster_ssh_open": _cluster_ssh_open,
    "inline_open": _inline_open,
    "untagged": _untagged,
    "msk_without_client_auth": _msk_without_client_auth,
    "redis_plaintext": _redis_plaintext,
    "eks_without_secrets_encryption": _eks_without_secrets_encryption,
    "db_behind_cluster_group": _db_behind_cluster_group,
}
