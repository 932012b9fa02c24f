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

from operators.paths import REPO_ROOT
from policies.synth_graph import Graph, parse

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
        _, stderr = process.communicate(timeout=240)
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
