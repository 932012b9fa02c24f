"""build/synth/<env>.json follows the synth contract and is byte-for-byte deterministic."""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

from policies.synth_graph import Graph
from tests.integration.platform.conftest import ROOT, synth_processes

URN = re.compile(
    r"^urn:pulumi:(?P<stack>[a-z]+)::conveyor::(?P<types>[^:]+(:[^:$]+)*(\$[^$]+)*)::(?P<name>.+)$"
)
RESOURCE_KEYS = {"urn", "type", "name", "custom", "id", "inputs", "state", "parent", "provider"}


def test_graph_has_the_contract_shape(graph: Graph, synth_dir: Path) -> None:
    data = json.loads((synth_dir / f"{graph.stack}.json").read_text(encoding="utf-8"))
    assert data["format"] == 1
    assert data["project"] == "conveyor"
    assert data["config"]["aws:region"] == "us-east-1"
    assert not any(key.startswith("conveyor:") for key in data["config"])
    assert {"network", "cluster", "database", "cache", "streaming", "tags"} <= set(data["config"])
    urns = [r.urn for r in graph.resources]
    assert urns == sorted(urns)
    assert len(set(urns)) == len(urns)
    assert [item["urn"] for item in data["resources"]] == urns
    for item, r in zip(data["resources"], graph.resources, strict=True):
        assert set(item) >= RESOURCE_KEYS, r.urn
        match = URN.match(r.urn)
        assert match is not None, r.urn
        assert (match["stack"], match["name"]) == (graph.stack, r.name)
        assert match["types"].endswith(r.type)
        assert r.parent is None or r.parent in urns, r.urn
        assert r.provider is None or r.provider in urns, r.urn
        if r.custom:
            assert r.id == f"{r.name}-id"
        else:
            assert r.id is None


def test_every_aws_resource_has_a_unique_mock_arn_and_every_custom_name_is_unique(
    graph: Graph,
) -> None:
    arns = [r.state["arn"] for r in graph.resources if r.custom and r.type.startswith("aws:")]
    assert all(arn.startswith("arn:aws:") for arn in arns)
    assert len(set(arns)) == len(arns)
    names = [r.name for r in graph.resources if r.custom]
    assert len(set(names)) == len(names), "ids are <name>-id, so names must be unique"


def test_references_are_resolved_to_the_referenced_resources_ids(graph: Graph) -> None:
    vpc = graph.one("aws:ec2/vpc:Vpc")
    subnets = graph.of_type("aws:ec2/subnet:Subnet")
    assert {s.inputs["vpcId"] for s in subnets} == {vpc.id}
    db = graph.one("aws:rds/instance:Instance")
    assert graph.is_kms_key(db.inputs["kmsKeyId"])


def test_synth_is_deterministic(synth_dir: Path, tmp_path: Path) -> None:
    process = synth_processes(("dev",), tmp_path, ROOT / "environments")["dev"]
    _, stderr = process.communicate(timeout=240)
    assert process.returncode == 0, stderr
    again = (tmp_path / "dev.json").read_text().splitlines()
    first = (synth_dir / "dev.json").read_text().splitlines()
    assert again == first, "\n".join(list(difflib.unified_diff(first, again, lineterm=""))[:40])
