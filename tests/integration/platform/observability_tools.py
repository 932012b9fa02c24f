"""The real tools the observability checks judge with, and their verdicts as text.

The collector built from observability/collector/builder.yaml (operators/local/collector_build.py)
validates a configuration; Debian's promtool checks rule files; Helm built from its Go module
(operators/local/helm_build.py) renders the vendored charts. Each verdict is "" when the tool
accepts, else what the tool said, so a test asserts `== ""` and a broken twin asserts the culprit
is named. A tool that is missing or cannot be built fails the test with what to do, never a skip.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from operators.local.collector_build import CollectorBinary
from operators.local.helm_build import HelmBinary
from operators.local.settings import LocalStackSettings

POD_IP = "10.0.0.7"  # what the chart's `$(MY_POD_IP)` becomes in a pod


def built_collector() -> Path:
    return CollectorBinary(cache_dir=LocalStackSettings().cache_dir).ensure(
        Console(file=io.StringIO())
    )


def built_helm() -> Path:
    return HelmBinary(cache_dir=LocalStackSettings().cache_dir).ensure(Console(file=io.StringIO()))


def found_promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is missing: sudo apt-get install prometheus")
    return found


def run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, env=env, capture_output=True, text=True, check=False, timeout=120
    )


def validate_config(collector: Path, config: str, env: dict[str, str], tmp_path: Path) -> str:
    """The collector's verdict on a configuration (YAML text) in an environment."""
    path = tmp_path / "collector.yaml"
    path.write_text(config, encoding="utf-8")
    result = run(
        str(collector), "validate", f"--config={path}", env={"PATH": os.environ["PATH"], **env}
    )
    return "" if result.returncode == 0 else result.stderr + result.stdout


def check_rules(promtool: str, rules: dict[str, Any], tmp_path: Path) -> str:
    """promtool's verdict on rule files ({name: document}): "" when every one loads."""
    paths = []
    for name, document in rules.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(document))
        paths.append(str(path))
    result = run(promtool, "check", "rules", *paths)
    return "" if result.returncode == 0 else result.stderr + result.stdout


def asked_datasources(dashboard: dict[str, Any]) -> set[tuple[str, str]]:
    """(type, uid) of every datasource a panel or query names; a `${datasource}` uid stands for
    any datasource of the variable's plugin type (uid "*")."""
    variables = {
        f"${{{v['name']}}}": str(v["query"])
        for v in dashboard.get("templating", {}).get("list", [])
        if v.get("type") == "datasource"
    }
    asked = set()
    panels = [*dashboard.get("panels", [])]
    while panels:
        panel = panels.pop()
        panels += panel.get("panels", [])
        for named in [
            panel.get("datasource"),
            *(t.get("datasource") for t in panel.get("targets", [])),
        ]:
            if isinstance(named, dict):
                uid = str(named.get("uid", ""))
                kind = variables.get(uid, str(named.get("type", "")))
                asked.add((kind, "*" if uid in variables else uid))
    return asked
