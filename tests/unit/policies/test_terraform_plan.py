"""Translation of the synthesized graph into Terraform plan JSON (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from policies.synth_graph import Graph, parse
from policies.terraform_plan import not_translated, snake_case, translate
from policies.terraform_types import UnmappedTypeError, load
from tests.support.policy_graphs import find, small_raw


def _planned(plan: dict[str, Any], address: str) -> dict[str, Any]:
    resources = plan["planned_values"]["root_module"]["resources"]
    found: dict[str, Any] = next(r for r in resources if r["address"] == address)
    return found


def _configured(plan: dict[str, Any], address: str) -> dict[str, Any]:
    resources = plan["configuration"]["root_module"]["resources"]
    found: dict[str, Any] = next(r for r in resources if r["address"] == address)
    return found


@pytest.mark.parametrize(
    ("pulumi", "terraform"),
    [
        ("kmsKeyId", "kms_key_id"),
        ("ipv6CidrBlock", "ipv6_cidr_block"),
        ("multiAz", "multi_az"),
        ("enableDns64", "enable_dns64"),
        ("encryptionAtRestKmsKeyArn", "encryption_at_rest_kms_key_arn"),
        ("engine", "engine"),
    ],
)
def test_camel_case_becomes_terraform_snake_case(pulumi: str, terraform: str) -> None:
    assert snake_case(pulumi) == terraform


def test_pulumi_tokens_become_the_terraform_types_they_wrap(small: Graph) -> None:
    plan = translate(small, load())
    types = {r["type"] for r in plan["planned_values"]["root_module"]["resources"]}
    assert {"aws_db_instance", "aws_msk_cluster", "aws_eks_cluster", "aws_kms_key"} <= types
    assert {"aws_elasticache_replication_group", "aws_security_group_rule"} <= types
    assert {"aws_vpc_security_group_ingress_rule", "aws_vpc", "aws_subnet"} <= types


def test_addresses_are_hcl_identifiers(small: Graph) -> None:
    plan = translate(small, load())
    db = _planned(plan, "aws_db_instance.conveyor_dev_db")
    assert (db["mode"], db["type"], db["name"]) == ("managed", "aws_db_instance", "conveyor_dev_db")


def test_nested_inputs_are_snake_cased_but_tag_keys_are_kept(small: Graph) -> None:
    kafka = _planned(translate(small, load()), "aws_msk_cluster.conveyor_dev_kafka")["values"]
    transit = kafka["encryption_info"]["encryption_in_transit"]
    assert transit == {"client_broker": "TLS", "in_cluster": True}
    assert kafka["client_authentication"]["sasl"]["iam"] is True
    assert kafka["tags"]["cost-center"] == "commerce-1234"


def test_bridge_renamed_properties_use_the_terraform_name(small: Graph) -> None:
    params = _planned(translate(small, load()), "aws_db_parameter_group.conveyor_dev_db_params")
    assert params["values"]["parameter"][0] == {"name": "rds.force_ssl", "value": "1"}
    assert "parameters" not in params["values"]


def test_ids_and_arns_become_references_in_values_and_configuration(small: Graph) -> None:
    plan = translate(small, load())
    db = _planned(plan, "aws_db_instance.conveyor_dev_db")["values"]
    assert db["vpc_security_group_ids"] == ["aws_security_group.conveyor_dev_db_sg.id"]
    assert db["kms_key_id"] == "aws_kms_key.conveyor_dev_key.arn"
    expressions = _configured(plan, "aws_db_instance.conveyor_dev_db")["expressions"]
    assert expressions["vpc_security_group_ids"] == {
        "references": [
            "aws_security_group.conveyor_dev_db_sg.id",
            "aws_security_group.conveyor_dev_db_sg",
        ]
    }
    assert expressions["engine"] == {"constant_value": "postgres"}
    eks = _configured(plan, "aws_eks_cluster.conveyor_dev_eks")["expressions"]
    assert eks["vpc_config"][0]["security_group_ids"]["references"][0] == (
        "aws_security_group.conveyor_dev_cluster_sg.id"
    )


def test_plain_strings_that_are_no_resource_stay_values(small: Graph) -> None:
    db = _planned(translate(small, load()), "aws_db_instance.conveyor_dev_db")["values"]
    assert db["engine"] == "postgres"
    assert db["identifier"] == "conveyor-dev"


def test_components_providers_and_kubernetes_objects_are_not_translated() -> None:
    raw = small_raw()
    raw["resources"].append(
        {**find(raw, "conveyor-dev-vpc"), "type": "kubernetes:core/v1:Namespace", "urn": "urn:k"}
    )
    graph = parse(raw)
    plan = translate(graph, load())
    types = {r["type"] for r in plan["planned_values"]["root_module"]["resources"]}
    assert not any(t.startswith(("kubernetes", "pulumi", "conveyor")) for t in types)
    assert "kubernetes:core/v1:Namespace" in not_translated(graph)
    assert "conveyor:platform:Platform" in not_translated(graph)


def test_an_unmapped_aws_type_fails_naming_the_command_that_maps_it() -> None:
    raw = small_raw()
    raw["resources"].append(
        {**find(raw, "conveyor-dev-vpc"), "type": "aws:sqs/queue:Queue", "urn": "urn:q"}
    )
    with pytest.raises(UnmappedTypeError, match=r"aws:sqs/queue:Queue.*refresh --add"):
        translate(parse(raw), load())


def test_equal_names_of_one_type_get_distinct_addresses() -> None:
    raw = small_raw()
    raw["resources"].append({**find(raw, "conveyor-dev-vpc"), "urn": "urn:other", "id": "other"})
    plan = translate(parse(raw), load())
    vpcs = [r["address"] for r in plan["planned_values"]["root_module"]["resources"]]
    assert "aws_vpc.conveyor_dev_vpc" in vpcs
    assert "aws_vpc.conveyor_dev_vpc_2" in vpcs
