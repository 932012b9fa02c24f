"""Deliberately broken copies of a real graph: each check must report the break.

The "uncomment to fail" toggle of pulumi/examples, made permanent: without these, a check that
silently passed everything would look the same as one that guards something.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable

import pytest

from policies.synth_graph import Graph, Resource
from tests.integration.platform import checks


def _first(graph: Graph, token: str) -> Resource:
    return graph.of_type(token)[0]


def _public_rds(g: Graph) -> Graph:
    _first(g, "aws:rds/instance:Instance").inputs["publiclyAccessible"] = True
    return g


def _unencrypted_rds(g: Graph) -> Graph:
    _first(g, "aws:rds/instance:Instance").inputs["storageEncrypted"] = False
    return g


def _plaintext_msk(g: Graph) -> Graph:
    info = _first(g, "aws:msk/cluster:Cluster").inputs["encryptionInfo"]
    info["encryptionInTransit"]["clientBroker"] = "TLS_PLAINTEXT"
    return g


def _unauthenticated_msk(g: Graph) -> Graph:
    _first(g, "aws:msk/cluster:Cluster").inputs["clientAuthentication"]["unauthenticated"] = True
    return g


def _redis_without_tls(g: Graph) -> Graph:
    _first(g, "aws:elasticache/replicationGroup:ReplicationGroup").inputs[
        "transitEncryptionEnabled"
    ] = False
    return g


def _eks_secrets_in_clear(g: Graph) -> Graph:
    _first(g, "aws:eks/cluster:Cluster").inputs.pop("encryptionConfig")
    return g


def _no_flow_logs(g: Graph) -> Graph:
    return dataclasses.replace(
        g, resources=[r for r in g.resources if r.type != "aws:ec2/flowLog:FlowLog"]
    )


def _world_open_ingress(g: Graph) -> Graph:
    _first(g, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").inputs["cidrIpv4"] = (
        "0.0.0.0/0"
    )
    return g


def _database_from_vpc_cidr(g: Graph) -> Graph:
    rule = next(
        r
        for r in g.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs.get("fromPort") == 5432
    )
    rule.inputs.pop("referencedSecurityGroupId")
    rule.inputs["cidrIpv4"] = "10.0.0.0/8"
    return g


def _missing_cost_center(g: Graph) -> Graph:
    _first(g, "aws:ec2/natGateway:NatGateway").inputs["tags"].pop("cost-center")
    return g


def _single_az_database(g: Graph) -> Graph:
    _first(g, "aws:rds/instance:Instance").inputs["multiAz"] = False
    _first(g, "aws:rds/instance:Instance").inputs["deletionProtection"] = False
    return g


def _topics_auto_created(g: Graph) -> Graph:
    config = _first(g, "aws:msk/configuration:Configuration").inputs
    config["serverProperties"] = config["serverProperties"].replace(
        "auto.create.topics.enable=false", "auto.create.topics.enable=true"
    )
    return g


def _public_eks_endpoint(g: Graph) -> Graph:
    _first(g, "aws:eks/cluster:Cluster").inputs["vpcConfig"]["endpointPublicAccess"] = True
    return g


def _missing_output(g: Graph) -> Graph:
    g.outputs.pop("grafanaUrl")
    return g


def _password_input(g: Graph) -> Graph:
    _first(g, "aws:rds/instance:Instance").inputs["password"] = "hunter2"
    return g


BREAKS: list[tuple[Callable[[Graph], Graph], Callable[[Graph], list[str]]]] = [
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
    breaks: Callable[[Graph], Graph],
    check: Callable[[Graph], list[str]],
) -> None:
    intact = copy.deepcopy(graphs["prod"])
    assert check(intact) == []
    assert check(breaks(intact)) != []
