"""Every committed dashboard validates against Grafana's own dashboard schema.

The schema is generated from the pinned `@grafana/schema` npm package (observability/schema/, `npm
ci` into ~/.cache/conveyor/grafana-schema/, once per lock); validated with `jsonschema`. The
schema is strict about unknown keys, so a misspelt or retired field fails here, not in Grafana.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator

from operators.dashboards import files, schema
from tests.support.dashboard_schema import dashboard_validator


@pytest.fixture(scope="module")
def validator() -> Validator:
    return dashboard_validator()


def violations(validator: Validator, dashboard: dict[str, Any]) -> list[str]:
    """One line per error; for a panel (any of several shapes), the closest shape's complaint."""
    lines = []
    for error in validator.iter_errors(dashboard):
        cause: ValidationError = best_match(error.context) if error.context else error
        path = "/".join(str(p) for p in cause.absolute_path) or "(root)"
        lines.append(f"{path}: {cause.message}")
    return sorted(lines)


@pytest.mark.parametrize("name", sorted(files.DASHBOARDS))
def test_the_committed_dashboard_validates_against_grafanas_schema(
    validator: Validator, name: str
) -> None:
    dashboard = json.loads((files.DASHBOARDS_DIR / name).read_text(encoding="utf-8"))
    assert violations(validator, dashboard) == []


def test_an_unknown_key_is_refused_where_it_stands(validator: Validator) -> None:
    broken = files.document("saga.json")
    broken["refreshEvery"] = "1m"
    broken["panels"][1]["gridPosition"] = broken["panels"][1].pop("gridPos")

    found = violations(validator, broken)

    assert any("'refreshEvery' was unexpected" in line for line in found), found
    assert any(
        line.startswith("panels/1") and "'gridPosition' was unexpected" in line for line in found
    ), found


def test_an_install_that_fails_says_what_to_run(tmp_path: Path) -> None:
    tool = tmp_path / "schema"
    tool.mkdir()
    shutil.copyfile(schema.TOOL_DIR / "package-lock.json", tool / "package-lock.json")
    package = json.loads((schema.TOOL_DIR / "package.json").read_text(encoding="utf-8"))
    package["devDependencies"]["@grafana/schema"] = "13.2.2"  # out of step with the lock
    (tool / "package.json").write_text(json.dumps(package), encoding="utf-8")

    with pytest.raises(schema.SchemaToolError) as failure:
        schema.dashboard_schema(tool_dir=tool, cache_root=tmp_path / "cache")

    message = str(failure.value)
    assert "npm ci failed" in message
    assert schema.RETRY in message
    assert not any((tmp_path / "cache").glob("*/node_modules")), "a failed install left files"
