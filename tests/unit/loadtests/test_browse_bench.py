"""The browse benchmark's targets: p99 under 100 ms, cache hit ratio at least 95 %, no error."""

from __future__ import annotations

from loadtests.browse_bench import met


def test_medians_within_every_target_meet_them() -> None:
    assert met({"p99_ms": 99.0, "cache_hit_ratio": 0.95, "errors": 0}) == {
        "p99_ms": True, "cache_hit_ratio": True, "errors": True,
    }  # fmt: skip


def test_a_missing_or_missed_figure_misses_its_target() -> None:
    assert met({"p99_ms": 100.0, "cache_hit_ratio": None, "errors": 1}) == {
        "p99_ms": False, "cache_hit_ratio": False, "errors": False,
    }  # fmt: skip
