"""The committed dashboards are exactly what the code renders, and drift is named file by file."""

from __future__ import annotations

import json
from pathlib import Path

from operators.dashboards import files


def test_committed_dashboards_match_the_code() -> None:
    assert files.drifted() == [], "dashboards drifted: run `make dashboards` and commit the files"


def test_rendering_twice_gives_the_same_bytes() -> None:
    assert files.rendered() == files.rendered()


def test_an_edited_a_missing_and_a_stale_file_are_each_named(tmp_path: Path) -> None:
    files.write_all(tmp_path)
    assert files.drifted(tmp_path) == []
    edited, missing = "saga.json", "storage.json"
    document = json.loads((tmp_path / edited).read_text())
    document["title"] = "edited by hand"
    (tmp_path / edited).write_text(json.dumps(document))
    (tmp_path / missing).unlink()
    (tmp_path / "old.json").write_text("{}")

    assert files.drifted(tmp_path) == [
        "saga.json differs from the code (run `make dashboards`)",
        "storage.json is missing (run `make dashboards`)",
        "old.json is not rendered by any dashboard (run `make dashboards` to remove it)",
    ]
    assert sorted(files.write_all(tmp_path)) == ["old.json", "saga.json", "storage.json"]
    assert files.drifted(tmp_path) == []
