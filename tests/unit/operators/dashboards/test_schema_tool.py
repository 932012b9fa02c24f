"""The schema tool's pure parts: an exact pin, and a cache directory per lock."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from operators.dashboards import schema


@pytest.fixture
def tool_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "schema"
    copy.mkdir()
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(schema.TOOL_DIR / name, copy / name)
    return copy


def test_the_committed_tool_pins_grafana_schema_exactly() -> None:
    version = schema.pinned_version()
    assert version[0].isdigit()
    lock = json.loads((schema.TOOL_DIR / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/@grafana/schema"]["version"] == version


def test_a_version_range_is_refused(tool_dir: Path) -> None:
    package = json.loads((tool_dir / "package.json").read_text())
    package["devDependencies"]["@grafana/schema"] = "^13.2.3"
    (tool_dir / "package.json").write_text(json.dumps(package))
    with pytest.raises(schema.SchemaToolError, match="pin @grafana/schema exactly"):
        schema.pinned_version(tool_dir)


def test_a_new_lock_gets_a_new_cache_directory(tool_dir: Path, tmp_path: Path) -> None:
    before = schema.cache_dir(tool_dir=tool_dir, cache_root=tmp_path)
    assert before.name.startswith(f"{schema.pinned_version(tool_dir)}-")
    (tool_dir / "package-lock.json").write_text("{}")
    assert schema.cache_dir(tool_dir=tool_dir, cache_root=tmp_path) != before
