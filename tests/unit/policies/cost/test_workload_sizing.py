"""Replicas per workload and the cost model's tiers, from measured CPU per order."""

from __future__ import annotations

import pytest

from policies.cost.workload_sizing import combined, cost_tiers, per_workload, size

BENCH = {
    "order-0": 5.3, "inventory-0": 1.9, "payment-0": 1.0, "notification-0": 0.9,
    "postgres": 4.6, "kafka": 2.9, "redis": 0.2, "driver": 3.0, "prometheus": 0.4,
    "supervisor": 0.1, "payment-provider": 0.8,
}  # fmt: skip


def test_replicas_are_summed_per_workload_and_the_local_extras_left_out() -> None:
    found = per_workload({**BENCH, "order-1": 0.7})
    assert found == {
        "order": 6.0, "inventory": 1.9, "payment": 1.0, "notification": 0.9,
        "database": 4.6, "streaming": 2.9, "cache": 0.2,
    }  # fmt: skip


def test_browse_requests_are_charged_to_each_order() -> None:
    browse = {"catalog": 0.5, "database": 0.1, "order": 1.7}  # order only idles during a browse
    cpu = combined({"catalog": 0.0, "database": 4.6, "order": 5.3}, browse, 20)
    assert cpu == {"catalog": 10.0, "database": 6.6, "order": 5.3}


def test_a_replica_is_one_core_at_the_target_utilization_and_never_fewer_than_two() -> None:
    sizing = size({"order": 5.3, "payment": 1.0, "database": 4.6}, 200, utilization=0.6)
    # 200/s x 5.3 s per 1,000 / 0.6 = 1.77 vCPU -> 2; payment 0.33 -> the floor of 2
    assert sizing.replicas == {"order": 2, "payment": 2}
    assert sizing.vcpu["order"] == pytest.approx(1.767, abs=1e-3)
    assert size({"order": 5.3}, 1000, utilization=0.6).replicas == {"order": 9}


def test_the_cost_tiers_are_the_services_postgres_and_kafka() -> None:
    assert cost_tiers(per_workload(BENCH)) == {"app": 9.1, "database": 4.6, "streaming": 2.9}


def test_figures_without_postgres_are_refused_naming_what_was_found() -> None:
    with pytest.raises(ValueError, match="found: order"):
        cost_tiers({"order": 5.0})
