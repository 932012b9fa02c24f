"""PSS from smaps_rollup, its trend per process over a run, and the page that draws it."""

from __future__ import annotations

import pytest

from loadtests.memory import MIB, Sample, parse_pss_kib, still_growing, trends
from loadtests.memory_page import render

ROLLUP = """55d4c8a00000-7ffd1a5f4000 ---p 00000000 00:00 0    [rollup]
Rss:              123456 kB
Pss:               65432 kB
Pss_Anon:          40000 kB
"""


def test_the_pss_line_is_read_in_kib() -> None:
    assert parse_pss_kib(ROLLUP) == 65432


def test_a_rollup_without_pss_is_refused() -> None:
    with pytest.raises(ValueError, match="Pss"):
        parse_pss_kib("Rss: 1 kB\n")


def _hour(leak: float, warm_up: float) -> list[Sample]:
    """A sample a minute: `leak` grows 60 MiB/h throughout, `warm_up` 100 MiB/h then stops."""
    return [
        (
            float(t),
            {
                "leak": int((100 + t / 60) * MIB * leak),
                "kafka": int((200 + min(t, 1800) / 36) * MIB * warm_up),
            },
        )
        for t in range(0, 3601, 60)
    ]


def test_a_steady_leak_keeps_its_slope_in_both_halves() -> None:
    found = trends(_hour(1, 1))["leak"]
    assert found == {
        "first_mib": 100.0,
        "last_mib": 160.0,
        "mib_per_hour": 60.0,
        "first_half_mib_per_hour": 60.0,
        "second_half_mib_per_hour": 60.0,
        "second_half_growth_mib": 30.0,
    }


def test_a_warm_up_that_levels_off_is_flat_in_the_second_half() -> None:
    found = trends(_hour(1, 1))["kafka"]
    assert (found["first_half_mib_per_hour"], found["second_half_mib_per_hour"]) == (100.0, 0.0)
    assert found["last_mib"] == 250.0


def test_only_second_half_growth_above_the_limit_is_named() -> None:
    assert still_growing(trends(_hour(1, 1))) == ["leak"]
    assert still_growing(trends(_hour(1, 1)), limit=61) == []


def test_a_steep_slope_over_a_few_minutes_is_noise_not_growth() -> None:
    minutes: list[Sample] = [(float(t), {"a": int((60 + t / 60) * MIB)}) for t in range(0, 301, 30)]
    found = trends(minutes)["a"]
    assert found["second_half_mib_per_hour"] == 60.0
    assert found["second_half_growth_mib"] == 2.5
    assert still_growing(trends(minutes)) == []


def test_fewer_than_three_points_have_no_slope() -> None:
    two: list[Sample] = [(0.0, {"a": MIB}), (60.0, {"a": 2 * MIB})]
    assert trends(two)["a"]["mib_per_hour"] is None
    assert still_growing(trends(two)) == []


def test_a_process_missing_from_some_samples_is_fitted_on_the_rest() -> None:
    samples: list[Sample] = [(float(t), {"a": MIB * (1 + t // 60)}) for t in range(0, 600, 60)]
    samples.append((600.0, {}))  # gone at the end
    assert trends(samples)["a"]["last_mib"] == 10.0


def test_the_page_draws_servers_and_replicas_apart_and_marks_the_growing() -> None:
    samples = [(t, {**found, "order-0": 50 * MIB}) for t, found in _hour(1, 1)]
    page = render("soak", samples, trends(samples), start=1_764_000_000.0)
    servers, rest = page.split("<figcaption>workloads</figcaption>")
    workloads, table = rest.split("<h2>Trend per process</h2>")
    assert "kafka" in servers
    assert "order-0" not in servers
    assert "order-0" in workloads
    assert "kafka" not in workloads
    assert all(name in table for name in ("kafka", "leak", "order-0"))
    assert "still growing in the second half: leak" in page
    assert page.count("<polyline") == 3
