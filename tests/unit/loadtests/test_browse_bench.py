"""The browse benchmark's targets: p99 under 100 ms, cache hit ratio at least 95 %, no error."""

from __future__ import annotations

import json
from pathlib import Path

from loadtests.browse_bench import figures, met


def test_medians_within_every_target_meet_them() -> None:
    assert met({"p99_ms": 99.0, "cache_hit_ratio": 0.95, "errors": 0}) == {
        "p99_ms": True, "cache_hit_ratio": True, "errors": True,
    }  # fmt: skip


def test_a_missing_or_missed_figure_misses_its_target() -> None:
    assert met({"p99_ms": 100.0, "cache_hit_ratio": None, "errors": 1}) == {
        "p99_ms": False, "cache_hit_ratio": False, "errors": False,
    }  # fmt: skip


_STATS = (
    "Type,Name,Request Count,Failure Count,50%,95%,99%,Requests/s\n"
    "GET,/v1/products,900,0,5,40,80,18.0\n"
    ",Aggregated,900,0,5,40,80,18.0\n"
)


def test_a_steady_state_run_counts_the_ramp_ups_requests_and_failures_too(tmp_path: Path) -> None:
    prefix = tmp_path / "browse"
    (tmp_path / "browse_stats.csv").write_text(_STATS)
    ramp = {"users": 1000, "seconds": 10.0, "requests": 300, "failures": 2}
    (tmp_path / "browse_ramp.json").write_text(json.dumps(ramp))
    result = {"requests": 900, "failures": 0, "cache_hit_ratio": 0.97}
    found = figures(result, prefix, duration_s=60.0)
    assert (found["p50_ms"], found["p99_ms"]) == (5.0, 80.0)  # the steady state's
    assert (found["requests"], found["errors"]) == (1200, 2)  # the whole run's
    assert found["requests_per_second"] == 20.0
    assert found["ramp_up"] == ramp


def test_without_a_ramp_up_file_the_figures_are_the_runs_own(tmp_path: Path) -> None:
    (tmp_path / "browse_stats.csv").write_text(_STATS)
    result = {"requests": 900, "failures": 1, "cache_hit_ratio": 0.97}
    found = figures(result, tmp_path / "browse", duration_s=60.0)
    assert (found["requests"], found["errors"], found["ramp_up"]) == (900, 1, None)
