"""Every panel's query is PromQL that Prometheus parses, checked offline with promtool.

Grafana's variables are replaced by values they take (`$workload` by `.*`, `$__rate_interval` by a
duration, the objectives by their defaults) and each expression becomes a recording rule of a
file `promtool check rules` reads: a syntax error, an unknown function or a bad duration fails
with promtool's message. Whether the queries find data is the live-data test's job.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from operators.dashboards import files, promql

SUBSTITUTES = {
    "$__rate_interval": "1m",
    "$__range": "1h",
    "$workload": ".*",
    "$availability": "99.5",
    "$latency": promql.le(0.5),
}


def concrete(expr: str) -> str:
    for variable, value in SUBSTITUTES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"a variable without a test value: {expr}"
    return expr


def rules_file(tmp_path: Path) -> Path:
    groups: list[dict[str, Any]] = []
    for name in sorted(files.DASHBOARDS):
        dashboard = json.loads((files.DASHBOARDS_DIR / name).read_text(encoding="utf-8"))
        stem = name.removesuffix(".json").replace("-", "_")
        rules = [
            {"record": f"{stem}:panel{panel['id']}:{target['refId']}", "expr": concrete(t)}
            for panel in dashboard["panels"]
            for target in panel.get("targets", [])
            for t in [str(target["expr"])]
        ]
        groups.append({"name": name, "rules": rules})
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": groups}), encoding="utf-8")
    return path


def test_every_panel_query_parses(tmp_path: Path) -> None:
    path = rules_file(tmp_path)
    result = subprocess.run(
        ["promtool", "check", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    count = sum(len(g["rules"]) for g in yaml.safe_load(path.read_text())["groups"])
    assert f"SUCCESS: {count} rules found" in result.stdout


def test_a_broken_query_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    bad = {"record": "dashboard:broken", "expr": concrete(promql.error_ratio("5m")) + ")"}
    path.write_text(yaml.safe_dump({"groups": [{"name": "b", "rules": [bad]}]}))
    result = subprocess.run(
        ["promtool", "check", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "parse error" in result.stdout + result.stderr
