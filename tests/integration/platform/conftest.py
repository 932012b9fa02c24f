"""Every stack synthesized once per session, each in its own process (as `conveyor synth` does).

The Pulumi SDK keeps its root stack in process-global state, so one process per stack; the three
run side by side.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema.protocols import Validator

from operators.paths import REPO_ROOT
from policies.synth_graph import Graph, parse
from tests.integration.platform.observability_tools import (
    built_collector,
    built_helm,
    found_promtool,
)
from tests.support.dashboard_schema import dashboard_validator

STACKS = ("dev", "staging", "prod")
PER_SERVICE = "perservice"
ROOT = REPO_ROOT


def synth_processes(
    stacks: tuple[str, ...], out: Path, environments: Path
) -> dict[str, subprocess.Popen[str]]:
    return {
        stack: subprocess.Popen(
            [
                sys.executable,
                "-m",
                "conveyor_platform.synth",
                "--env",
                stack,
                "--out",
                str(out),
                "--environments",
                str(environments),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for stack in stacks
    }


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed stacks, plus a variant of prod with per-service database instances."""
    out = tmp_path_factory.mktemp("synth")
    variants = tmp_path_factory.mktemp("environments")
    document = yaml.safe_load((ROOT / "environments" / "Pulumi.prod.yaml").read_text())
    document["config"]["conveyor:database"]["perServiceInstances"] = True
    (variants / f"Pulumi.{PER_SERVICE}.yaml").write_text(yaml.safe_dump(document))
    running = synth_processes(STACKS, out, ROOT / "environments")
    running |= synth_processes((PER_SERVICE,), out, variants)
    for stack, process in running.items():
        _, stderr = process.communicate(timeout=600)  # a shared 2-core machine under load
        if process.returncode != 0:
            pytest.fail(f"synth {stack} failed:\n{stderr}")
    return out


@pytest.fixture(scope="session")
def graphs(synth_dir: Path) -> dict[str, Graph]:
    return {
        stack: parse(json.loads((synth_dir / f"{stack}.json").read_text(encoding="utf-8")))
        for stack in STACKS
    }


@pytest.fixture(params=STACKS)
def graph(request: pytest.FixtureRequest, graphs: dict[str, Graph]) -> Graph:
    return graphs[str(request.param)]


@pytest.fixture(scope="session")
def per_service(synth_dir: Path) -> Graph:
    return parse(json.loads((synth_dir / f"{PER_SERVICE}.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def collector() -> Path:
    """The collector built from observability/collector/builder.yaml (cached per manifest)."""
    return built_collector()


@pytest.fixture(scope="module")
def promtool() -> str:
    return found_promtool()


@pytest.fixture(scope="module")
def helm() -> Path:
    """Helm built from its Go module (cached per release)."""
    return built_helm()


@pytest.fixture(scope="module")
def validator() -> Validator:
    """Grafana's dashboard schema."""
    return dashboard_validator()
