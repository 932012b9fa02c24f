"""The collector configuration laptop and cluster share is valid for the collector that runs it.

The locally built collector (`operators/local/collector_build.py`, built on first use) checks
observability/collector/config.yaml with its own `validate` command, once with the environment the
local runner gives it and once with the one the cluster's release sets; a deliberately broken copy
(a processor misspelt in the pipeline, a sampling field misspelt) must be refused, naming it.
Every other collector configuration the repository ships (any YAML file with the collector's
`receivers`/`service.pipelines` shape) is validated the same way, so a second one cannot be
added unchecked. (The values the cluster's release really gets are validated from the synthesized
graph: tests/integration/platform/test_observability_values.py.)
"""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from conveyor_platform.observability import COLLECTOR_ENV, collector_config, collector_release
from rich.console import Console

from operators.local.collector_build import CONFIG, CollectorBinary
from operators.local.servers import Collector
from operators.local.settings import LocalStackSettings
from operators.paths import REPO_ROOT

# Where configuration lives (not .venv, build output or caches).
SHIPPED = ("observability", "operators", "platform", "containers", "environments", "loadtests")


@pytest.fixture(scope="module")
def collector() -> Path:
    return CollectorBinary(cache_dir=LocalStackSettings().cache_dir).ensure(
        Console(file=io.StringIO())
    )


def validate(binary: Path, config: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), "validate", f"--config={config}"],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def collector_configurations(root: Path = REPO_ROOT) -> list[Path]:
    """Every YAML file under the shipped folders that is a collector configuration."""
    found = []
    for path in sorted(p for folder in SHIPPED for p in (root / folder).rglob("*.y*ml")):
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        if any(
            isinstance(d, dict)
            and isinstance(d.get("receivers"), dict)
            and isinstance(d.get("service"), dict)
            and "pipelines" in d["service"]
            for d in documents
        ):
            found.append(path)
    return found


def test_every_collector_configuration_the_repository_ships_is_valid(collector: Path) -> None:
    shipped = collector_configurations()
    assert CONFIG in shipped
    local = Collector(LocalStackSettings()).environment()
    cluster = {k: v.replace("$(MY_POD_IP)", "10.0.0.7") for k, v in COLLECTOR_ENV.items()}
    refused = {
        f"{path.relative_to(REPO_ROOT)} ({where}): {result.stderr.strip()}"
        for path in shipped
        for where, env in (("local", local), ("cluster", cluster))
        if (result := validate(collector, path, env)).returncode != 0
    }
    assert refused == set()


def test_the_local_collector_accepts_the_shared_configuration(collector: Path) -> None:
    env = Collector(LocalStackSettings()).environment()
    result = validate(collector, CONFIG, env)
    assert result.returncode == 0, result.stderr


def test_the_cluster_release_gives_the_same_file_a_valid_environment(collector: Path) -> None:
    assert collector_config() == yaml.safe_load(CONFIG.read_text())
    cluster = {k: v.replace("$(MY_POD_IP)", "10.0.0.7") for k, v in COLLECTOR_ENV.items()}
    result = validate(collector, CONFIG, cluster)
    assert result.returncode == 0, result.stderr
    assert collector.parent.parent.name.startswith(collector_release() + "-")


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        ("[memory_limiter, tail_sampling, batch]", "[memory_limiter, tail_samplng, batch]"),
        ("threshold_ms:", "threshold_msec:"),
    ],
)
def test_a_broken_configuration_is_refused_with_the_culprit_named(
    collector: Path, tmp_path: Path, good: str, bad: str
) -> None:
    text = CONFIG.read_text()
    assert good in text
    broken = tmp_path / "config.yaml"
    broken.write_text(text.replace(good, bad))
    result = validate(collector, broken, Collector(LocalStackSettings()).environment())
    assert result.returncode != 0
    culprit = bad.strip("[]:").split(", ")[1 if "," in bad else 0]
    assert culprit in result.stderr + result.stdout
