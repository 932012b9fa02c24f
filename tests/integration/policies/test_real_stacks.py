"""Every stack of environments/, synthesized afresh, passes checkov (bar its listed skips) and
CrossGuard: the same gate as `make policy`, so a platform change that breaks a rule fails here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from operators.paths import REPO_ROOT
from policies.checkov_runner import ScanResult, scan_each
from policies.crossguard.from_synth import evaluate
from policies.skips import load as load_skips
from policies.synth_graph import Graph, load
from policies.terraform_plan import translate
from policies.terraform_types import load as load_types

ROOT = REPO_ROOT
STACKS = sorted(
    p.name.removeprefix("Pulumi.").removesuffix(".yaml")
    for p in (ROOT / "environments").glob("Pulumi.*.yaml")
)


@pytest.fixture(scope="module")
def graphs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graph]:
    out = tmp_path_factory.mktemp("synth")
    conveyor = Path(sys.executable).with_name("conveyor")
    done = subprocess.run(
        [str(conveyor), "synth", "--out", str(out)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"`conveyor synth` failed:\n{done.stderr}"
    return {env: load(out / f"{env}.json") for env in STACKS}


@pytest.fixture(scope="module")
def results(
    graphs: dict[str, Graph], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, ScanResult]:
    out = tmp_path_factory.mktemp("plans")
    files = {}
    for env, graph in graphs.items():
        files[env] = out / f"{env}.json"
        files[env].write_text(json.dumps(translate(graph, load_types())))
    return scan_each(files, "terraform_plan", repo_root=REPO_ROOT, skips=load_skips())


def test_there_are_stacks_to_check() -> None:
    assert {"dev", "staging", "prod"} <= set(STACKS)


@pytest.mark.parametrize("env", STACKS)
def test_checkov_finds_nothing_unexpected_in_the_stack(
    results: dict[str, ScanResult], env: str
) -> None:
    result = results[env]
    assert [(f.check_id, f.resource) for f in result.failed] == []
    assert [(s.check_id, s.environments) for s in result.stale_skips] == []
    assert len(result.passed) > 200


@pytest.mark.parametrize("env", STACKS)
def test_crossguard_finds_nothing_in_the_stack(graphs: dict[str, Graph], env: str) -> None:
    assert evaluate(graphs[env]) == []


@pytest.mark.parametrize("env", STACKS)
def test_the_rds_and_msk_of_the_stack_are_checked(results: dict[str, ScanResult], env: str) -> None:
    checked = {(f.check_id, f.resource.split(".")[0]) for f in results[env].passed}
    assert ("CKV_AWS_17", "aws_db_instance") in checked
    assert ("CKV_CONVEYOR_2", "aws_msk_cluster") in checked
    assert ("CKV_AWS_58", "aws_eks_cluster") in checked  # secrets encryption
