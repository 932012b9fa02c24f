"""Lag-based scaling: up at once to what the lag needs, down one step after the cool-down."""

from __future__ import annotations

import pytest

from operators.pipeline.autoscaling import decide_replicas

BOUNDS = (2, 10)


def decide(
    current: int, lag: int, *, last: float | None = None, now: float = 1000.0
) -> tuple[int, str]:
    decision = decide_replicas(
        current=current,
        lag=lag,
        bounds=BOUNDS,
        lag_threshold=500,
        cooldown_s=300,
        last_scaled_at=last,
        now=now,
    )
    return decision.replicas, decision.reason


def test_scales_up_to_ceil_of_lag_over_threshold_at_once() -> None:
    assert decide(2, 2_600) == (6, "LagAboveCapacity")


def test_scales_up_even_inside_the_cool_down() -> None:
    assert decide(2, 2_600, last=990.0) == (6, "LagAboveCapacity")


def test_never_above_the_maximum() -> None:
    assert decide(4, 1_000_000) == (10, "LagAboveCapacity")


def test_never_below_the_minimum_even_with_no_lag() -> None:
    assert decide(2, 0) == (2, "LagWithinCapacity")


def test_steady_when_capacity_matches() -> None:
    assert decide(4, 1_800) == (4, "LagWithinCapacity")


def test_scales_down_one_step_after_the_cool_down() -> None:
    assert decide(8, 0, last=600.0, now=1000.0) == (7, "LagBelowCapacity")


def test_holds_during_the_cool_down() -> None:
    assert decide(8, 0, last=800.0, now=1000.0) == (8, "CoolingDown")


def test_the_cool_down_ends_exactly_at_its_length() -> None:
    assert decide(8, 0, last=700.0, now=1000.0) == (7, "LagBelowCapacity")


def test_scales_down_without_history() -> None:
    assert decide(8, 0, last=None) == (7, "LagBelowCapacity")


def test_out_of_bounds_counts_return_to_the_bounds_at_once() -> None:
    assert decide(1, 0, last=999.0) == (2, "BelowMinimum")
    assert decide(15, 100_000, last=999.0) == (10, "AboveMaximum")


@pytest.mark.parametrize(
    ("bounds", "lag", "threshold"),
    [((3, 2), 0, 1), ((-1, 2), 0, 1), ((1, 2), -5, 1), ((1, 2), 5, 0)],
)
def test_nonsense_inputs_are_refused(bounds: tuple[int, int], lag: int, threshold: int) -> None:
    with pytest.raises(ValueError, match="must"):
        decide_replicas(
            current=1,
            lag=lag,
            bounds=bounds,
            lag_threshold=threshold,
            cooldown_s=0,
            last_scaled_at=None,
            now=0,
        )
