"""What is wrong with one resource or one stack, as plain functions over Pulumi properties (pure).

The CrossGuard policies (`rules.py`) wrap these; tests and `conveyor policy` call them over the
synthesized graph directly, since no pulumi CLI runs here. Properties use Pulumi's wire names
(camelCase). Missing security settings are findings: the program must state them, rather than
lean on a provider default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from policies.tagging import TAGGABLE_TF_TYPES, missing_tags

Props = Mapping[str, Any]
OPEN = frozenset({"0.0.0.0/0", "::/0"})
WEB_PORTS = frozenset({80, 443})
PUBLIC_LB_ROLE = "public-load-balancer"
CLUSTER_ROLE = "cluster"

RDS = "aws:rds/instance:Instance"
MSK = "aws:msk/cluster:Cluster"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EKS = "aws:eks/cluster:Cluster"


def _obj(props: Props, key: str) -> Props:
    value = props.get(key)
    if isinstance(value, list):  # a block given as a one-element list
        value = value[0] if value else None
    return value if isinstance(value, Mapping) else {}


def rds(props: Props) -> list[str]:
    found = []
    if props.get("publiclyAccessible") is not False:
        found.append("RDS must set publiclyAccessible: false")
    if props.get("storageEncrypted") is not True:
        found.append("RDS must set storageEncrypted: true")
    return found


def msk(props: Props) -> list[str]:
    found = []
    info = _obj(props, "encryptionInfo")
    transit = _obj(info, "encryptionInTransit")
    if transit.get("clientBroker") != "TLS" or transit.get("inCluster") is not True:
        found.append("MSK must encrypt in transit: clientBroker TLS and inCluster true")
    if not info.get("encryptionAtRestKmsKeyArn"):
        found.append("MSK must encrypt at rest with a customer-managed KMS key")
    auth = _obj(props, "clientAuthentication")
    sasl = _obj(auth, "sasl")
    if not (sasl.get("iam") is True or sasl.get("scram") is True):
        found.append("MSK must authenticate clients with IAM or SCRAM")
    if auth.get("unauthenticated") is True:
        found.append("MSK must not allow unauthenticated clients")
    return found


def elasticache(props: Props) -> list[str]:
    found = []
    if props.get("atRestEncryptionEnabled") not in (True, "true"):
        found.append("ElastiCache must set atRestEncryptionEnabled: true")
    if props.get("transitEncryptionEnabled") is not True:
        found.append("ElastiCache must set transitEncryptionEnabled: true")
    return found


def eks(props: Props) -> list[str]:
    config = _obj(props, "encryptionConfig")
    if "secrets" in (config.get("resources") or []) and _obj(config, "provider").get("keyArn"):
        return []
    return ["EKS must encrypt secrets with a KMS key (encryptionConfig: secrets)"]


def open_ports(cidrs: list[str], low: Any, high: Any) -> frozenset[int] | None:
    """Ports a rule opens to the internet, None when it is not open; -1 stands for 'many'."""
    if not OPEN.intersection(cidrs):
        return None
    low, high = int(low if low is not None else 0), int(high if high is not None else 65535)
    return frozenset(range(low, high + 1)) if 0 <= low <= high < low + 1024 else frozenset({-1})


def open_ingress_allowed(role: object, ports: frozenset[int]) -> bool:
    return role == PUBLIC_LB_ROLE and ports <= WEB_PORTS


def security_group(props: Props) -> list[str]:
    role = (props.get("tags") or {}).get("conveyor:role")
    found = []
    for rule in props.get("ingress") or []:
        cidrs = [*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])]
        ports = open_ports(cidrs, rule.get("fromPort"), rule.get("toPort"))
        if ports is not None and not open_ingress_allowed(role, ports):
            found.append(
                "security group admits 0.0.0.0/0; only the public load balancer's may, on 80/443"
            )
    return found


def tags(resource_type: str, props: Props, tf_types: Mapping[str, str]) -> list[str]:
    if tf_types.get(resource_type) not in TAGGABLE_TF_TYPES:
        return []
    missing = missing_tags(props.get("tags"))
    return [f"missing tags: {', '.join(missing)}"] if missing else []


RESOURCE_CHECKS: dict[str, Callable[[Props], list[str]]] = {
    RDS: rds,
    MSK: msk,
    REDIS: elasticache,
    EKS: eks,
    SG: security_group,
}
