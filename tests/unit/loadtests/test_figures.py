from __future__ import annotations

from loadtests.figures import RatePoint, aggregate, cost_tiers, knee, median, spread


def test_median_of_an_odd_count_is_the_middle_value() -> None:
    assert median([120.0, 80.0, 100.0]) == 100.0


def test_median_of_an_even_count_is_the_mean_of_the_middle_two() -> None:
    assert median([1.0, 2.0, 3.0, 10.0]) == 2.5


def test_missing_values_are_left_out_and_all_missing_is_none() -> None:
    assert median([None, 4.0, None]) == 4.0
    assert median([None, None]) is None
    assert spread([None]) is None


def test_counts_stay_whole_numbers_when_their_median_is_whole() -> None:
    assert median([0, 2, 0]) == 0
    assert isinstance(median([0, 2, 0]), int)
    assert median([1, 2]) == 1.5
    assert spread([0, 3]) == {"min": 0, "max": 3}
    assert median([1.0, 2.0, 3.0]) == 2.0


def test_spread_is_min_and_max() -> None:
    assert spread([3.0, 9.5, 5.0]) == {"min": 3.0, "max": 9.5}


def test_aggregate_gives_medians_spreads_and_nested_medians_per_name() -> None:
    runs = [
        {"orders_per_second": 90.0, "lost": 0, "cpu": {"order-0": 10.0, "kafka": 4.0}},
        {"orders_per_second": 99.0, "lost": 2, "cpu": {"order-0": 12.0, "kafka": 5.0}},
        {"orders_per_second": 95.0, "lost": 0, "cpu": {"order-0": 30.0}},
    ]
    medians, spreads = aggregate(runs)
    assert medians["orders_per_second"] == 95.0
    assert spreads["orders_per_second"] == {"min": 90.0, "max": 99.0}
    assert medians["lost"] == 0
    assert spreads["lost"] == {"min": 0, "max": 2}
    assert medians["cpu"] == {"order-0": 12.0, "kafka": 4.5}


def test_aggregate_keeps_text_figures_from_the_first_run() -> None:
    medians, spreads = aggregate([{"note": "a", "n": 1}, {"note": "b", "n": 3}])
    assert medians == {"note": "a", "n": 2}
    assert "note" not in spreads


def _point(rate: float, completed: float, p99: float | None) -> RatePoint:
    return RatePoint(offered_per_s=rate, completed_per_s=completed, p99_confirm_ms=p99)


def test_knee_is_the_highest_rate_that_keeps_up() -> None:
    points = [_point(40, 40, 200), _point(60, 59, 300), _point(80, 70, 2500)]
    assert knee(points) == 60


def test_a_rate_whose_throughput_falls_behind_is_past_the_knee_even_with_a_low_p99() -> None:
    assert knee([_point(40, 40, 200), _point(60, 55, 400)]) == 40


def test_a_p99_of_one_second_or_more_is_past_the_knee() -> None:
    assert knee([_point(40, 40, 999), _point(60, 60, 1000)]) == 40


def test_a_pass_above_a_failing_rate_is_noise_not_the_knee() -> None:
    points = [_point(100, 99, 300), _point(40, 40, 200), _point(60, 50, 3000)]
    assert knee(points) == 40


def test_no_knee_when_the_lowest_rate_fails_or_has_no_confirmation() -> None:
    assert knee([_point(40, 20, 5000)]) is None
    assert knee([_point(40, 40, None)]) is None


def test_cost_tiers_sum_the_replicas_into_app_and_leave_out_the_tooling() -> None:
    cpu = {
        "order-0": 5.3, "inventory-0": 1.9, "payment-0": 1.0, "notification-0": 0.9,
        "postgres": 4.6, "kafka": 2.9, "driver": 0.9, "payment-provider": 0.4, "redis": 0.1,
    }  # fmt: skip

    assert cost_tiers(cpu) == {"app": 9.1, "database": 4.6, "streaming": 2.9}
