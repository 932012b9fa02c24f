"""One round of lag-based scaling: which workloads, what is recorded, what is announced."""

from __future__ import annotations

import json
from typing import Any

from operators.pipeline.lag_scaling import lag_scaled, scale_on_lag
from operators.pipeline.spec import OrderPipelineSpec

NOW = 10_000.0


def spec(*, paused: bool = False, kafka: bool = True, **autoscaling: Any) -> OrderPipelineSpec:
    """notification and payment scale on lag (bounds 1..5, threshold 100, cool-down 60 s);
    order scales on CPU."""
    lag_policy = {
        "minReplicas": 1,
        "maxReplicas": 5,
        "metric": "kafkaLag",
        "lagThreshold": 100,
        "cooldownSeconds": 60,
        **autoscaling,
    }
    raw: dict[str, Any] = {
        "paused": paused,
        "workloads": {
            "order": {
                "image": "conveyor/order:dev",
                "autoscaling": {"minReplicas": 1, "maxReplicas": 3, "metric": "cpu"},
            },
            "payment": {"image": "conveyor/payment:dev", "autoscaling": lag_policy},
            "notification": {"image": "conveyor/notification:dev", "autoscaling": lag_policy},
        },
        "postgres": {"secretRef": {"name": "pg"}},
    }
    if kafka:
        raw["kafka"] = {"bootstrapServers": "kafka:9092"}
    return OrderPipelineSpec.model_validate(raw)


def test_only_workloads_scaling_on_lag_are_chosen() -> None:
    assert sorted(lag_scaled(spec())) == ["notification", "payment"]


def test_nothing_scales_on_lag_while_paused() -> None:
    assert lag_scaled(spec(paused=True)) == {}
    lags = {"notification": 900, "payment": 900}
    assert scale_on_lag(spec(paused=True), lags=lags, recorded={}, now=NOW) is None


def test_a_first_observation_records_the_lower_bound_and_its_time_without_announcing() -> None:
    outcome = scale_on_lag(spec(), lags={"notification": 0, "payment": 50}, recorded={}, now=NOW)
    assert outcome is not None
    assert outcome.records == {
        "notification": {"replicas": 1, "at": NOW},
        "payment": {"replicas": 1, "at": NOW},
    }
    assert outcome.changes == ()
    assert outcome.replicas == {"notification": 1, "payment": 1}


def test_a_lag_above_capacity_scales_up_and_says_why() -> None:
    recorded = {"payment": {"replicas": 1.0, "at": NOW - 5}}
    lags = {"payment": 350, "notification": 0}
    outcome = scale_on_lag(spec(), lags=lags, recorded=recorded, now=NOW)
    assert outcome is not None
    assert outcome.records["payment"] == {"replicas": 4, "at": NOW}
    assert outcome.changes == ("payment 1→4 (LagAboveCapacity, lag 350, threshold 100)",)
    assert outcome.replicas["payment"] == 4


def test_nothing_is_written_when_every_workload_is_recorded_and_unchanged() -> None:
    recorded = {
        "payment": {"replicas": 2.0, "at": NOW - 5},
        "notification": {"replicas": 1.0, "at": NOW - 5},
    }
    lags = {"payment": 200, "notification": 0}
    assert scale_on_lag(spec(), lags=lags, recorded=recorded, now=NOW) is None


def test_an_unchanged_count_keeps_its_time_so_the_cool_down_runs_from_the_last_change() -> None:
    recorded = {"payment": {"replicas": 3.0, "at": NOW - 30}}
    lags = {"payment": 0, "notification": 0}
    outcome = scale_on_lag(spec(), lags=lags, recorded=recorded, now=NOW)
    assert outcome is not None  # notification had no record yet
    assert outcome.records["payment"] == {"replicas": 3.0, "at": NOW - 30}  # cooling down
    later = scale_on_lag(spec(), lags=lags, recorded=outcome.records, now=NOW - 30 + 61)
    assert later is not None
    assert later.records["payment"] == {"replicas": 2, "at": NOW + 31}
    assert later.changes == ("payment 3→2 (LagBelowCapacity, lag 0, threshold 100)",)


def test_a_workload_whose_lag_was_unreadable_is_left_as_recorded() -> None:
    recorded = {"payment": {"replicas": 2.0, "at": NOW - 500}}
    outcome = scale_on_lag(spec(), lags={"notification": 0}, recorded=recorded, now=NOW)
    assert outcome is not None
    assert outcome.records["payment"] == {"replicas": 2.0, "at": NOW - 500}
    assert "payment" not in " ".join(outcome.changes)


def test_an_unreadable_unrecorded_workload_still_gets_the_others_written() -> None:
    # payment was never recorded and its lag is unreadable: the round writes what it knows.
    recorded = {"notification": {"replicas": 1.0, "at": NOW - 5}}
    outcome = scale_on_lag(spec(), lags={"notification": 0}, recorded=recorded, now=NOW)
    assert outcome is not None
    assert outcome.records == {"notification": {"replicas": 1.0, "at": NOW - 5}}
    assert outcome.changes == ()


def test_records_of_workloads_that_no_longer_scale_on_lag_are_kept() -> None:
    recorded = {
        "order": {"replicas": 2.0, "at": 1.0},
        "payment": {"replicas": 1.0, "at": NOW - 5},
    }
    lags = {"payment": 500, "notification": 0}
    outcome = scale_on_lag(spec(), lags=lags, recorded=recorded, now=NOW)
    assert outcome is not None
    assert outcome.records["order"] == {"replicas": 2.0, "at": 1.0}
    assert outcome.replicas["order"] == 2


def test_a_record_outside_new_bounds_is_brought_back_at_once() -> None:
    recorded = {
        "payment": {"replicas": 5.0, "at": NOW - 1},
        "notification": {"replicas": 1.0, "at": NOW - 1},
    }
    lags = {"payment": 10_000, "notification": 0}
    outcome = scale_on_lag(spec(maxReplicas=3), lags=lags, recorded=recorded, now=NOW)
    assert outcome is not None
    assert outcome.records["payment"] == {"replicas": 3, "at": NOW}
    assert outcome.changes == ("payment 5→3 (AboveMaximum, lag 10000, threshold 100)",)


def test_the_annotation_is_the_records_as_sorted_json() -> None:
    outcome = scale_on_lag(spec(), lags={"payment": 150, "notification": 0}, recorded={}, now=NOW)
    assert outcome is not None
    assert json.loads(outcome.annotation()) == outcome.records
    assert outcome.annotation().index('"notification"') < outcome.annotation().index('"payment"')
