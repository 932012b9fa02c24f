"""The committed Pulumi-token -> Terraform-type map stays true to the installed pulumi-aws."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pulumi_aws
import pytest

from policies.synth_graph import parse
from policies.tagging import TAGGABLE_TF_TYPES
from policies.terraform_types import UnmappedTypeError, extract, load
from tests.support.policy_graphs import small_raw


def test_the_map_is_pinned_to_the_installed_pulumi_aws() -> None:
    assert load().pulumi_aws_version == metadata.version("pulumi-aws"), (
        "pulumi-aws changed: run `.venv/bin/python -m policies.terraform_types refresh`"
    )


def test_every_mapped_token_is_a_resource_of_the_installed_pulumi_aws() -> None:
    root = Path(pulumi_aws.__file__).parent
    for token in load().resources:
        module, kind = token.split(":")[1].split("/")
        source = root / module / f"{_snake(kind)}.py"
        assert source.exists(), token
        assert f"'{token}'" in source.read_text(), token


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def test_every_aws_type_of_the_small_graph_is_mapped() -> None:
    graph = parse(small_raw())
    used = {r.type for r in graph.resources if r.custom and r.type.startswith("aws:")}
    assert used <= set(load().resources)


def test_extract_reads_the_bridge_renames_for_the_wanted_tokens() -> None:
    upstream = {
        "renames": {
            "resources": {"aws:rds/instance:Instance": "aws_db_instance", "aws:x/y:Y": "aws_y"},
            "renamedProperties": {"aws:rds/instance:Instance": {"dbName": "db_name"}},
        }
    }
    content = extract(upstream, ["aws:rds/instance:Instance"], "7.51.1")
    assert content["resources"] == {"aws:rds/instance:Instance": "aws_db_instance"}
    assert content["properties"] == {"aws:rds/instance:Instance": {"dbName": "db_name"}}
    with pytest.raises(UnmappedTypeError, match="aws:nope/x:X"):
        extract(upstream, ["aws:nope/x:X"], "7.51.1")


def test_every_taggable_type_is_a_mapped_terraform_type() -> None:
    # A taggable type the map lacks would never reach checkov's tag check under that name.
    assert set(load().resources.values()) >= TAGGABLE_TF_TYPES
