"""Rules that need the whole stack: which groups guard the data tier, and where ingress comes from.

Edges come from each resource's property dependencies (which resources a property was computed
from), so the rules work at `pulumi preview`, when the ids of new resources are still unknown.
`PolicyResource` from pulumi-policy fits `Node`; `from_synth.py` builds the same from the
synthesized graph.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from policies.crossguard.findings import (
    CLUSTER_ROLE,
    EKS,
    MSK,
    RDS,
    REDIS,
    SG,
    SG_INGRESS,
    SG_RULE,
    open_ingress_allowed,
    open_ports,
)


class Node(Protocol):
    @property
    def resource_type(self) -> str: ...
    @property
    def urn(self) -> str: ...
    @property
    def props(self) -> Mapping[str, Any]: ...
    @property
    def property_dependencies(self) -> Mapping[str, Sequence[Node]]: ...


Finding = tuple[str, str]  # (message, urn)


def _deps(node: Node, key: str, resource_type: str = SG) -> set[str]:
    return {
        d.urn for d in node.property_dependencies.get(key, []) if d.resource_type == resource_type
    }


def _role(node: Node) -> object:
    return (node.props.get("tags") or {}).get("conveyor:role")


def _is_ingress_rule(node: Node) -> bool:
    return node.resource_type == SG_INGRESS or (
        node.resource_type == SG_RULE and node.props.get("type") == "ingress"
    )


def _rule_cidrs(props: Mapping[str, Any]) -> list[str]:
    return [
        *(props.get("cidrBlocks") or []),
        *(props.get("ipv6CidrBlocks") or []),
        *[props[k] for k in ("cidrIpv4", "cidrIpv6") if props.get(k)],
    ]


def data_tier_only_from_cluster(nodes: Sequence[Node]) -> list[Finding]:
    """RDS, ElastiCache and MSK groups admit ingress only from the EKS cluster's groups."""
    sgs = {n.urn: n for n in nodes if n.resource_type == SG}
    cluster = {urn for n in nodes if n.resource_type == EKS for urn in _deps(n, "vpcConfig")}
    cluster |= {urn for urn, n in sgs.items() if _role(n) == CLUSTER_ROLE}
    data = {urn for n in nodes if n.resource_type == RDS for urn in _deps(n, "vpcSecurityGroupIds")}
    data |= {urn for n in nodes if n.resource_type == REDIS for urn in _deps(n, "securityGroupIds")}
    # MSK's groups sit inside brokerNodeGroupInfo (with the subnets, which _deps filters out).
    data |= {
        urn for n in nodes if n.resource_type == MSK for urn in _deps(n, "brokerNodeGroupInfo")
    }
    found: list[Finding] = []
    for urn in sorted(data):
        for rule in sgs[urn].props.get("ingress") or []:
            if _rule_cidrs(rule) or rule.get("prefixListIds") or rule.get("self"):
                found.append(
                    ("data-tier group has an inline ingress rule from a CIDR or itself", urn)
                )
        if not _deps(sgs[urn], "ingress") <= cluster:
            found.append(("data-tier group admits a group other than the cluster's", urn))
    for node in nodes:
        if not _is_ingress_rule(node) or not _deps(node, "securityGroupId") & data:
            continue
        keys = ("sourceSecurityGroupId", "referencedSecurityGroupId")
        sources = {u for k in keys for u in _deps(node, k)}
        # The EKS-managed cluster group is an output of the cluster (vpcConfig).
        from_eks = {u for k in keys for u in _deps(node, k, EKS)}
        cidr_or_self = _rule_cidrs(node.props) or node.props.get("self")
        if cidr_or_self or not (sources or from_eks) or not sources <= cluster:
            found.append(
                ("ingress to a data-tier group must come from the cluster's group", node.urn)
            )
    return found


def no_open_ingress_rules(nodes: Sequence[Node]) -> list[Finding]:
    """Standalone rules admit 0.0.0.0/0 only into the public load balancer's group, on 80/443."""
    sgs = {n.urn: n for n in nodes if n.resource_type == SG}
    found: list[Finding] = []
    for node in nodes:
        if not _is_ingress_rule(node):
            continue
        ports = open_ports(
            _rule_cidrs(node.props), node.props.get("fromPort"), node.props.get("toPort")
        )
        targets = [sgs[u] for u in _deps(node, "securityGroupId") if u in sgs]
        if ports is not None and not (
            targets and all(open_ingress_allowed(_role(t), ports) for t in targets)
        ):
            found.append(
                ("ingress rule admits 0.0.0.0/0 outside the public load balancer", node.urn)
            )
    return found
