"""The load balancer controller can do what it does, on resources it did not tag too.

The actions come from the controller's published v2.x IAM policy (kubernetes-sigs/
aws-load-balancer-controller, docs/install/iam_policy.json): those it calls on resources that
carry no `elbv2.k8s.aws/cluster` tag must be granted without a tag condition, or it fails at
runtime (e.g. opening the EKS cluster security group to its ALB).
"""

from __future__ import annotations

import json
from typing import Any

from policies.synth_graph import Graph, Resource

UNTAGGED = [
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupIngress",
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:CreateRule",
    "elasticloadbalancing:DeleteRule",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:DeregisterTargets",
]
READS = [
    "ec2:GetSecurityGroupsForVpc",
    "ec2:DescribeSecurityGroups",
    "elasticloadbalancing:DescribeListenerAttributes",
    "wafv2:GetWebACLForResource",
    "shield:GetSubscriptionState",
]
TAG_SCOPED = [
    "ec2:DeleteSecurityGroup",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:CreateLoadBalancer",
]


def _controller(graph: Graph) -> Resource:
    return next(
        r
        for r in graph.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["chart"] == "aws-load-balancer-controller"
    )


def _statements(graph: Graph) -> list[dict[str, Any]]:
    policy = next(
        p for p in graph.of_type("aws:iam/rolePolicy:RolePolicy") if "lb-controller" in p.name
    )
    return list(json.loads(policy.inputs["policy"])["Statement"])


def _granting(statements: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [s for s in statements if s["Effect"] == "Allow" and action in s["Action"]]


def _tag_conditioned(statement: dict[str, Any]) -> bool:
    text = json.dumps(statement.get("Condition", {}))
    return "ResourceTag/" in text or "RequestTag/" in text


def test_actions_on_untagged_resources_are_granted_without_a_tag_condition(graph: Graph) -> None:
    statements = _statements(graph)
    for action in UNTAGGED:
        untagged = [s for s in _granting(statements, action) if not _tag_conditioned(s)]
        assert untagged, f"{action} is only granted on tagged resources (or not at all)"


def test_ingress_on_any_group_is_limited_to_the_stacks_vpc(graph: Graph) -> None:
    vpc_id = graph.one("aws:ec2/vpc:Vpc").id
    for statement in _granting(_statements(graph), "ec2:AuthorizeSecurityGroupIngress"):
        assert statement["Resource"] != "*"
        assert statement["Condition"]["ArnLike"]["ec2:Vpc"].endswith(f":vpc/{vpc_id}")


def test_reads_the_controller_makes_are_granted(graph: Graph) -> None:
    statements = _statements(graph)
    for action in READS:
        assert _granting(statements, action), action


def test_deletes_and_creates_need_this_clusters_tag(graph: Graph) -> None:
    statements = _statements(graph)
    cluster = graph.one("aws:eks/cluster:Cluster").inputs["name"]
    for action in TAG_SCOPED:
        granting = _granting(statements, action)
        assert granting, action
        for statement in granting:
            assert _tag_conditioned(statement), action
            assert cluster in json.dumps(statement["Condition"]), action


def test_waf_and_shield_integrations_are_off_and_ungranted(graph: Graph) -> None:
    values = _controller(graph).inputs["values"]
    assert (values["enableWaf"], values["enableWafv2"], values["enableShield"]) == (
        False,
        False,
        False,
    )
    statements = _statements(graph)
    for action in (
        "wafv2:AssociateWebACL",
        "shield:CreateProtection",
        "elasticloadbalancing:SetWebAcl",
    ):
        assert not _granting(statements, action), action
