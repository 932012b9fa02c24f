"""The Black Friday shape: normal, a ramp to ten times normal, held, back to normal."""

from __future__ import annotations

from loadtests.scenarios.shapes import PEAK, users_at


def test_the_spike_reaches_ten_times_normal_and_falls_back() -> None:
    normal = 8
    assert users_at(0.0, normal) == normal
    assert users_at(0.1, normal) == normal
    assert users_at(0.25, normal) == round(normal * (1 + (PEAK - 1) / 2))
    assert users_at(0.5, normal) == 80  # ten times normal
    assert PEAK == 10
    assert users_at(0.9, normal) == normal
