"""Writing a load run's result: the JSON always, the memory page when the run sampled memory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loadtests.load.runner import write


def _result(samples: list[dict[str, Any]] | None, trend: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "scenario": "soak",
        "window": {"start": 1_764_000_000.0, "end": 1_764_000_180.0},
        "report": {"html": "soak.html", "csv": "soak_stats.csv"},
        "memory_samples": samples,
        "memory_trend": trend,
    }


def test_a_run_that_sampled_memory_gets_its_page_named_in_the_json(tmp_path: Path) -> None:
    samples = [{"t_s": t, "pss_mib": {"kafka": 300.0 + t / 60}} for t in (0.0, 60.0, 120.0, 180.0)]
    halves = {"first_half_mib_per_hour": None, "second_half_mib_per_hour": None}
    trend = {"kafka": {"first_mib": 300.0, "last_mib": 303.0, "mib_per_hour": 60.0, **halves}}
    path = write(_result(samples, trend), tmp_path)
    written = json.loads(path.read_text())
    page = Path(written["report"]["memory"])
    assert page == tmp_path / "soak-memory.html"
    assert "kafka" in page.read_text()


def test_a_run_without_samples_writes_only_its_json(tmp_path: Path) -> None:
    path = write(_result(None, None), tmp_path)
    assert "memory" not in json.loads(path.read_text())["report"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["soak.json"]
