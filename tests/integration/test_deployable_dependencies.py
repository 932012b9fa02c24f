"""Each deployable's environment, built from the lock alone, imports its entry points and holds
nothing of the other deployables (docs/adr/0016-dependencies-per-deployable.md).

An environment is built the way an image builds it, `uv sync --frozen --no-default-groups --group
<deployable>`, into a temporary directory, with the project's pinned uv (the Makefile's $(UV),
exported as CONVEYOR_UV) and the shared uv cache, so it takes well under a second and needs no
network once `make setup` has filled the cache. A missing uv fails with the command that fixes it.
The checks run in that environment's own interpreter, isolated (`-I`) and outside the repository,
so nothing of the developer's .venv or of the working directory can make them pass.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from operators.paths import REPO_ROOT
from workloads.catalogue import WORKLOADS

UV_CACHE = Path.home() / ".cache" / "conveyor" / "uv-cache"  # the Makefile's $(CACHE)/uv-cache
SYNC_TIMEOUT_S = 240
PROBE_TIMEOUT_S = 120

PULUMI = frozenset({"pulumi", "pulumi-aws", "pulumi-kubernetes", "pulumi-policy"})
KUBERNETES = frozenset({"kopf", "lightkube"})
WEB = frozenset({"fastapi", "uvicorn", "asyncpg", "redis"})
TOOLING = frozenset({"checkov", "typer", "locust"})
CHECKS = frozenset({"pytest", "mypy", "ruff", "import-linter"})

SERVICE_MODULES = tuple(w.module for w in WORKLOADS if w.module is not None)


@dataclass(frozen=True)
class Deployable:
    group: str
    entry_modules: tuple[str, ...]  # imported, never run
    absent: frozenset[str]  # distributions its image must not hold


DEPLOYABLES = (
    Deployable(
        "services",
        # uvicorn is handed "uvloop" and "httptools" by name when it serves, not at import.
        (*(f"{module}.__main__" for module in SERVICE_MODULES), "uvloop", "httptools"),
        absent=PULUMI | KUBERNETES | TOOLING | CHECKS,
    ),
    Deployable(
        "operator",
        ("operators.controller.__main__",),
        absent=PULUMI | WEB | TOOLING | CHECKS,
    ),
    Deployable(
        "platform",
        ("conveyor_platform.program",),
        absent=KUBERNETES | WEB | TOOLING | CHECKS | {"pulumi-policy"},
    ),
)

# Prints the normalised names of the installed distributions as the last line of its output.
INSTALLED = """
import importlib.metadata, json, re
names = [d.metadata["Name"] for d in importlib.metadata.distributions()]
print(json.dumps(sorted({re.sub(r"[-_.]+", "-", name).lower() for name in names})))
"""


@pytest.fixture(scope="module")
def uv() -> Path:
    configured = os.environ.get("CONVEYOR_UV")
    if not configured:
        pytest.fail(
            "CONVEYOR_UV is not set: run this test through `make test`, or first run "
            "`export CONVEYOR_UV=$(make -s --eval 'uv-path: ; @echo $(UV)' uv-path)`"
        )
    path = Path(configured)
    if not path.is_file():
        pytest.fail(f"CONVEYOR_UV={path} does not exist: run `make setup` to install it")
    return path


@pytest.fixture(scope="module", params=DEPLOYABLES, ids=lambda d: d.group)
def deployable(request: pytest.FixtureRequest) -> Deployable:
    chosen: Deployable = request.param
    return chosen


@pytest.fixture(scope="module")
def environment(uv: Path, deployable: Deployable, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The deployable's environment, synced from uv.lock as its image would be."""
    target = tmp_path_factory.mktemp(f"env-{deployable.group}")
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env |= {
        "UV_PROJECT_ENVIRONMENT": str(target),
        "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR", str(UV_CACHE)),
        "UV_PYTHON_DOWNLOADS": "never",
    }
    argv = [str(uv), "sync", "--frozen", "--no-default-groups", "--group", deployable.group]
    result = subprocess.run(
        [*argv, "--python", sys.executable],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SYNC_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, f"{' '.join(argv)} failed:\n{result.stderr}"
    return target


def run_isolated(environment: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run the environment's Python, isolated, from a directory outside the repository."""
    return subprocess.run(
        [str(environment / "bin" / "python"), "-I", *argv],
        cwd=environment,
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT_S,
        check=False,
    )


@pytest.mark.parametrize("module", SERVICE_MODULES)
def test_a_service_entry_module_serves_only_when_run(module: str) -> None:
    source = REPO_ROOT.joinpath(*module.split("."), "__main__.py")
    guards = [
        node
        for node in ast.parse(source.read_text()).body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "__name__ == '__main__'"
    ]
    assert guards, f"{source}: no `if __name__ == '__main__':` guard, so importing it serves"


def test_entry_modules_import_from_the_deployables_set_alone(
    environment: Path, deployable: Deployable
) -> None:
    script = "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)"
    result = run_isolated(environment, ["-c", script, *deployable.entry_modules])
    assert result.returncode == 0, (
        f"the {deployable.group} group lacks what its entry modules import:\n{result.stderr}"
    )


def test_the_environment_holds_nothing_of_the_other_deployables(
    environment: Path, deployable: Deployable
) -> None:
    result = run_isolated(environment, ["-c", INSTALLED])
    assert result.returncode == 0, result.stderr
    installed = set(json.loads(result.stdout.splitlines()[-1]))
    assert "conveyor" in installed, "the project itself must be installed with its group"
    unexpected = sorted(installed & deployable.absent)
    assert not unexpected, (
        f"`uv sync --no-default-groups --group {deployable.group}` installs {unexpected}: "
        f"move them out of the {deployable.group} group (pyproject.toml [dependency-groups])"
    )


def test_the_conveyor_command_outside_the_tooling_names_what_is_missing(
    environment: Path,
) -> None:
    result = subprocess.run(
        [str(environment / "bin" / "conveyor"), "--help"],
        cwd=environment,
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT_S,
        check=False,
    )
    assert result.returncode != 0
    assert re.search(r"No module named '(typer|rich)'", result.stderr), result.stderr
