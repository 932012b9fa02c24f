"""checkov over the translated graph: built-in checks, Conveyor's own, and the skips judgement.

One checkov run covers every variant (several `-f` files), as each run costs seconds.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from operators.paths import REPO_ROOT
from policies.checkov_runner import judge, run_checkov
from policies.skips import Skip
from policies.synth_graph import parse
from policies.tagging import REQUIRED_TAGS, TAGGABLE_TF_TYPES
from policies.terraform_plan import translate
from policies.terraform_types import load
from tests.support.policy_graphs import small_raw
from tests.support.policy_variants import VARIANTS

# The small graph's own accepted findings (the real stacks' are in policies/skips.yaml).
SMALL_SKIPS = [
    Skip("terraform_plan", "CKV_AWS_382", "nodes egress via NAT", ("*cluster_sg",)),
    Skip("terraform_plan", "CKV2_AWS_5", "attached by the LB controller", ("*public_lb_sg",)),
    Skip("terraform_plan", "CKV_AWS_157", "single-AZ dev", environments=("dev",)),
    Skip("terraform_plan", "CKV_AWS_293", "disposable dev", environments=("dev",)),
    Skip("terraform_plan", "CKV2_AWS_50", "one node in dev", environments=("dev",)),
]


def _without_tag(tag: str) -> dict[str, Any]:
    """The small graph with `tag` dropped from every resource that has tags."""
    raw = small_raw()
    for resource in raw["resources"]:
        tags = resource["inputs"].get("tags")
        if isinstance(tags, dict):
            resource["inputs"]["tags"] = {k: v for k, v in tags.items() if k != tag}
    return raw


# One variant per required tag (policies/tagging.json), scanned in the same checkov run.
TAG_VARIANTS: dict[str, Callable[[], dict[str, Any]]] = {
    f"without_{tag}": functools.partial(_without_tag, tag) for tag in REQUIRED_TAGS
}


def _taggable_addresses(raw: dict[str, Any]) -> list[str]:
    return [
        r["address"]
        for r in translate(parse(raw), load())["planned_values"]["root_module"]["resources"]
        if r["type"] in TAGGABLE_TF_TYPES
    ]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """checkov's report for each variant, split out of one run."""
    directory = tmp_path_factory.mktemp("plans")
    files = {}
    for name, make in {**VARIANTS, **TAG_VARIANTS}.items():
        files[name] = directory / f"{name}.json"
        files[name].write_text(json.dumps(translate(parse(make()), load())))
    report = run_checkov(list(files.values()), "terraform_plan", repo_root=REPO_ROOT)
    split: dict[str, dict[str, Any]] = {}
    for name, path in files.items():
        results = {
            key: [c for c in checks if Path(c["file_abs_path"]).resolve() == path.resolve()]
            for key, checks in report["results"].items()
        }
        split[name] = {"results": results, "summary": report["summary"]}
    return split


def _outcome(report: dict[str, Any], check_id: str, resource: str) -> set[str]:
    return {
        key
        for key in ("passed_checks", "failed_checks")
        for c in report["results"].get(key, [])
        if c["check_id"] == check_id and c["resource"] == resource
    }


def test_the_small_graph_fails_nothing_but_its_listed_skips(
    reports: dict[str, dict[str, Any]],
) -> None:
    result = judge(reports["good"], "terraform_plan", "dev", SMALL_SKIPS)
    assert result.failed == []
    assert result.stale_skips == []
    assert len(result.passed) > 100
    assert {f.check_id for f, _ in result.skipped} == {s.check_id for s in SMALL_SKIPS}


def test_conveyors_own_checks_run(reports: dict[str, dict[str, Any]]) -> None:
    ran = {c["check_id"] for c in reports["good"]["results"]["passed_checks"]}
    assert {"CKV_CONVEYOR_1", "CKV_CONVEYOR_2", "CKV_CONVEYOR_3"} <= ran
    assert {"CKV2_CONVEYOR_3", "CKV2_CONVEYOR_4", "CKV2_CONVEYOR_5"} <= ran


def test_graph_checks_see_the_references(reports: dict[str, dict[str, Any]]) -> None:
    # CKV2_AWS_5 passes only for groups connected to a resource: the edges came through.
    report = reports["good"]
    assert _outcome(report, "CKV2_AWS_5", "aws_security_group.conveyor_dev_db_sg") == {
        "passed_checks"
    }
    assert _outcome(report, "CKV2_AWS_11", "aws_vpc.conveyor_dev_vpc") == {"passed_checks"}


@pytest.mark.parametrize(
    ("variant", "check_id", "resource"),
    [
        ("untagged", "CKV_CONVEYOR_1", "aws_vpc.conveyor_dev_vpc"),
        ("msk_without_client_auth", "CKV_CONVEYOR_2", "aws_msk_cluster.conveyor_dev_kafka"),
        ("inline_open", "CKV_CONVEYOR_3", "aws_security_group.conveyor_dev_db_sg"),
        ("lb_open_22", "CKV2_CONVEYOR_3", "aws_vpc_security_group_ingress_rule.lb_open_22"),
        ("cluster_ssh_open", "CKV2_CONVEYOR_3", "aws_security_group_rule.cluster_ssh"),
        ("db_from_lb", "CKV2_CONVEYOR_4", "aws_security_group_rule.conveyor_dev_db_from_cluster"),
        ("db_behind_cluster_group", "CKV2_CONVEYOR_5", "aws_db_instance.conveyor_dev_db"),
        (
            "cache_from_cidr",
            "CKV2_CONVEYOR_4",
            "aws_vpc_security_group_ingress_rule.conveyor_dev_cache_from_cluster",
        ),
    ],
)
def test_a_custom_check_fails_its_bad_variant_and_passes_the_good_graph(
    reports: dict[str, dict[str, Any]], variant: str, check_id: str, resource: str
) -> None:
    assert _outcome(reports[variant], check_id, resource) == {"failed_checks"}
    good = "good" if variant not in ("lb_open_22", "cluster_ssh_open") else "lb_open_443"
    if good == "good":
        assert _outcome(reports["good"], check_id, resource) == {"passed_checks"}


@pytest.mark.parametrize("tag", REQUIRED_TAGS)
def test_the_tag_check_flags_every_taggable_resource_missing_a_required_tag(
    reports: dict[str, dict[str, Any]], tag: str
) -> None:
    # The check reads policies/tagging.json: every taggable type there is checked, every tag there
    # is required, and the same resources pass with all their tags.
    taggable = _taggable_addresses(small_raw())
    assert len({a.split(".")[0] for a in taggable}) > 5
    for address in taggable:
        assert _outcome(reports[f"without_{tag}"], "CKV_CONVEYOR_1", address) == {
            "failed_checks"
        }, address
        assert _outcome(reports["good"], "CKV_CONVEYOR_1", address) == {"passed_checks"}, address


def test_web_ports_open_to_the_internet_are_allowed_only_into_the_public_lb(
    reports: dict[str, dict[str, Any]],
) -> None:
    rule = "aws_vpc_security_group_ingress_rule.lb_open_443"
    assert _outcome(reports["lb_open_443"], "CKV2_CONVEYOR_3", rule) == {"passed_checks"}
    lb = "aws_security_group.conveyor_dev_public_lb_sg"
    assert _outcome(reports["good"], "CKV_CONVEYOR_3", lb) == {"passed_checks"}


def test_checkov_catches_the_insecure_variant(reports: dict[str, dict[str, Any]]) -> None:
    result = judge(reports["insecure"], "terraform_plan", "dev", SMALL_SKIPS)
    failed = {(f.check_id, f.resource) for f in result.failed}
    db, kafka = "aws_db_instance.conveyor_dev_db", "aws_msk_cluster.conveyor_dev_kafka"
    assert ("CKV_AWS_17", db) in failed  # publicly accessible
    assert ("CKV_AWS_16", db) in failed  # storage not encrypted
    assert ("CKV_AWS_81", kafka) in failed  # plaintext in transit
    assert ("CKV_CONVEYOR_2", kafka) in failed  # no client authentication
    assert not result.ok
