"""The skips file and the judgement of checkov's report (pure), and a missing checkov."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from policies.checkov_runner import CheckovMissingError, judge, scan
from policies.skips import Skip, SkipsFileError, load, parse


def _report(*failed: tuple[str, str], passed: int = 1) -> dict[str, Any]:
    return {
        "results": {
            "failed_checks": [{"check_id": c, "resource": r} for c, r in failed],
            "passed_checks": [{"check_id": "CKV_OK", "resource": "x.y"}] * passed,
        },
        "summary": {"parsing_errors": 0},
    }


def test_a_failure_matching_a_skip_is_skipped_with_its_reason() -> None:
    skip = Skip("terraform_plan", "CKV_A", "because", ("aws_db_instance.*",))
    result = judge(_report(("CKV_A", "aws_db_instance.db")), "terraform_plan", "dev", [skip])
    assert result.ok
    assert result.skipped[0][1].reason == "because"


def test_a_failure_no_skip_matches_fails_the_scan() -> None:
    skip = Skip("terraform_plan", "CKV_A", "because", ("aws_db_instance.*",))
    result = judge(_report(("CKV_A", "aws_vpc.main")), "terraform_plan", "dev", [skip])
    assert [f.resource for f in result.failed] == ["aws_vpc.main"]
    assert not result.ok


def test_a_skip_that_matches_nothing_is_stale_and_fails_the_scan() -> None:
    skip = Skip("terraform_plan", "CKV_GONE", "it used to fail")
    result = judge(_report(), "terraform_plan", "dev", [skip])
    assert result.stale_skips == [skip]
    assert not result.ok


def test_skips_apply_only_in_their_environments_and_framework() -> None:
    dev_only = Skip("terraform_plan", "CKV_A", "cheap dev", environments=("dev",))
    k8s = Skip("kubernetes", "CKV_A", "other framework")
    report = _report(("CKV_A", "aws_db_instance.db"))
    assert judge(report, "terraform_plan", "dev", [dev_only, k8s]).ok
    prod = judge(report, "terraform_plan", "prod", [dev_only, k8s])
    assert len(prod.failed) == 1
    assert prod.stale_skips == []  # a skip for another stack or framework is not stale here


def test_every_skip_needs_a_reason() -> None:
    with pytest.raises(SkipsFileError, match="reason"):
        parse({"terraform_plan": [{"id": "CKV_A", "reason": " "}]})


def test_the_skips_file_parses_and_gives_each_skip_a_reason() -> None:
    skips = load()
    assert skips
    assert all(s.reason and s.framework in ("terraform_plan", "kubernetes") for s in skips)


def test_missing_checkov_names_the_command_that_installs_it(tmp_path: Path) -> None:
    with pytest.raises(CheckovMissingError, match="make setup"):
        scan([tmp_path], "kubernetes", repo_root=tmp_path)
