"""Deliberately broken copies of a real graph: each check must report the break.

The "uncomment to fail" toggle of pulumi/examples, made permanent: without these, a check that
silently passed everything would look the same as one that guards something.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from tests.integration.platform import checks
from tests.integration.platform.graph import Graph, Resource


def _first(graph: Graph, token: str) -> Resource:
    return graph.of_type(token)[0]


def _public_rds(g: Graph) -> None:
    _first(g, "aws:rds/instance:Instance")["inputs"]["publiclyAccessible"] = True


def _unencrypted_rds(g: Graph) -> None:
    _first(g, "aws:rds/instance:Instance")["inputs"]["storageEncrypted"] = False


def _plaintext_msk(g: Graph) -> None:
    info = _first(g, "aws:msk/cluster:Cluster")["inputs"]["encryptionInfo"]
    info["encryptionInTransit"]["clientBroker"] = "TLS_PLAINTEXT"


def _unauthenticated_msk(g: Graph) -> None:
    _first(g, "aws:msk/cluster:Cluster")["inputs"]["clientAuthentication"]["unauthenticated"] = True


def _redis_without_tls(g: Graph) -> None:
    _first(g, "aws:elasticache/replicationGroup:ReplicationGroup")["inputs"][
        "transitEncryptionEnabled"
    ] = False


def _eks_secrets_in_clear(g: Graph) -> None:
    _first(g, "aws:eks/cluster:Cluster")["inputs"].pop("encryptionConfig")


def _no_flow_logs(g: Graph) -> None:
    g.data["resources"] = [r for r in g.resources if r["type"] != "aws:ec2/flowLog:FlowLog"]


def _world_open_ingress(g: Graph) -> None:
    _first(g, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")["inputs"]["cidrIpv4"] = (
        "0.0.0.0/0"
    )


def _database_from_vpc_cidr(g: Graph) -> None:
    rule = next(
        r
        for r in g.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r["inputs"].get("fromPort") == 5432
    )
    rule["inputs"].pop("referencedSecurityGroupId")
    rule["inputs"]["cidrIpv4"] = "10.0.0.0/8"


def _missing_cost_center(g: Graph) -> None:
    _first(g, "aws:ec2/natGateway:NatGateway")["inputs"]["tags"].pop("cost-center")


def _single_az_database(g: Graph) -> None:
    _first(g, "aws:rds/instance:Instance")["inputs"]["multiAz"] = False
    _first(g, "aws:rds/instance:Instance")["inputs"]["deletionProtection"] = False


def _topics_auto_created(g: Graph) -> None:
    config = _first(g, "aws:msk/configuration:Configuration")["inputs"]
    config["serverProperties"] = config["serverProperties"].replace(
        "auto.create.topics.enable=false", "auto.create.topics.enable=true"
    )


def _public_eks_endpoint(g: Graph) -> None:
    _first(g, "aws:eks/cluster:Cluster")["inputs"]["vpcConfig"]["endpointPublicAccess"] = True


def _missing_output(g: Graph) -> None:
    g.data["outputs"].pop("grafanaUrl")


def _password_input(g: Graph) -> None:
    _first(g, "aws:rds/instance:Instance")["inputs"]["password"] = "hunter2"


BREAKS: list[tuple[Callable[[Graph], None], Callable[[Graph], list[str]]]] = [
    (_public_rds, checks.exposure),
    (_unencrypted_rds, checks.encryption),
    (_plaintext_msk, checks.encryption),
    (_unauthenticated_msk, checks.encryption),
    (_redis_without_tls, checks.encryption),
    (_eks_secrets_in_clear, checks.encryption),
    (_no_flow_logs, checks.encryption),
    (_world_open_ingress, checks.ingress),
    (_database_from_vpc_cidr, checks.ingress),
    (_missing_cost_center, checks.tags),
    (_single_az_database, checks.resilience),
    (_topics_auto_created, checks.resilience),
    (_public_eks_endpoint, checks.exposure),
    (_missing_output, checks.outputs),
    (_password_input, checks.secrets),
]


@pytest.mark.parametrize(
    ("breaks", "check"), BREAKS, ids=[b.__name__.strip("_") for b, _ in BREAKS]
)
def test_check_reports_a_deliberately_broken_prod_stack(
    graphs: dict[str, Graph],
    breaks: Callable[[Graph], None],
    check: Callable[[Graph], list[str]],
) -> None:
    broken = Graph(copy.deepcopy(graphs["prod"].data))
    assert check(broken) == []
    breaks(broken)
    assert check(broken) != []
