"""The CrossGuard pack, run the way `pulumi preview` would, over the synthesized graphs.

There is no pulumi CLI here, so the tests call the policies' validate functions directly with
arguments built from the graph (`policies.crossguard.from_synth`).
"""

from __future__ import annotations

import pytest
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy

from operators.paths import REPO_ROOT
from policies.crossguard.from_synth import evaluate, resource_args, stack_resources
from policies.crossguard.rules import POLICIES
from policies.synth_graph import Graph, parse
from tests.support.policy_graphs import insecure_raw, set_input, small_raw
from tests.support.policy_variants import VARIANTS

PACK = REPO_ROOT / "policies" / "crossguard"


def test_every_policy_is_mandatory_and_uniquely_named() -> None:
    assert all(p.enforcement_level == EnforcementLevel.MANDATORY for p in POLICIES)
    assert len({p.name for p in POLICIES}) == len(POLICIES)
    assert (PACK / "PulumiPolicy.yaml").exists()
    assert "PolicyPack(" in (PACK / "__main__.py").read_text()


def test_the_small_graph_violates_nothing(small: Graph) -> None:
    assert evaluate(small) == []


@pytest.mark.parametrize(
    ("variant", "policy"),
    [
        ("untagged", "required-tags"),
        ("msk_without_client_auth", "msk-tls-auth-and-encryption"),
        ("redis_plaintext", "elasticache-encrypted"),
        ("eks_without_secrets_encryption", "eks-secrets-encrypted"),
        ("inline_open", "security-group-no-open-ingress"),
        ("lb_open_22", "security-group-rules-no-open-ingress"),
        ("cluster_ssh_open", "security-group-rules-no-open-ingress"),
        ("db_from_lb", "data-tier-only-from-cluster"),
        ("cache_from_cidr", "data-tier-only-from-cluster"),
    ],
)
def test_each_policy_catches_its_bad_variant(variant: str, policy: str) -> None:
    violated = {v.policy for v in evaluate(parse(VARIANTS[variant]()))}
    assert policy in violated


def test_web_ports_into_the_public_lb_are_allowed() -> None:
    assert evaluate(parse(VARIANTS["lb_open_443"]())) == []


def test_crossguard_catches_the_insecure_variant() -> None:
    graph = parse(insecure_raw())
    found = {(v.policy, v.message) for v in evaluate(graph)}
    assert ("rds-private-and-encrypted", "RDS must set publiclyAccessible: false") in found
    assert ("rds-private-and-encrypted", "RDS must set storageEncrypted: true") in found
    messages = {m for p, m in found if p == "msk-tls-auth-and-encryption"}
    assert "MSK must encrypt in transit: clientBroker TLS and inCluster true" in messages
    assert "MSK must encrypt at rest with a customer-managed KMS key" in messages
    assert "MSK must not allow unauthenticated clients" in messages


def test_a_resource_policy_reports_through_the_pulumi_policy_api(small: Graph) -> None:
    rds_policy = next(p for p in POLICIES if p.name == "rds-private-and-encrypted")
    assert isinstance(rds_policy, ResourceValidationPolicy)
    public = parse(insecure_raw())
    db = next(r for r in public.resources if r.type == "aws:rds/instance:Instance")
    reported: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        reported.append(message)

    rds_policy.validate(resource_args(db), report)
    assert "RDS must set publiclyAccessible: false" in reported


def test_stack_resources_carry_property_dependencies(small: Graph) -> None:
    nodes = {n.name: n for n in stack_resources(small)}
    rule = nodes["conveyor-dev-db-from-cluster"]
    assert [d.name for d in rule.property_dependencies["securityGroupId"]] == ["conveyor-dev-db-sg"]
    assert [d.name for d in rule.property_dependencies["sourceSecurityGroupId"]] == [
        "conveyor-dev-cluster-sg"
    ]


def test_an_msk_group_admitting_another_group_than_the_clusters_is_caught() -> None:
    """MSK's groups sit in brokerNodeGroupInfo.securityGroups: they are data tier too."""
    lb = "conveyor-dev-public-lb-sg-id"
    raw = set_input(small_raw(), "conveyor-dev-msk-from-cluster", "referencedSecurityGroupId", lb)
    found = [v for v in evaluate(parse(raw)) if v.policy == "data-tier-only-from-cluster"]
    assert found
    assert all("msk-from-cluster" in str(v.urn) for v in found)
