"""The brief's questions: users → orders, per 1,000 orders, sizing for load, the reference case."""

from __future__ import annotations

import pytest

from policies.cost.capacity import (
    cost_per_1000_orders,
    estimate,
    orders_per_day_for_users,
    size_for_load,
)
from policies.cost.model import price
from policies.cost.reference import compare, reference_graph
from policies.cost.tables import AssumptionFile, PriceTable, PricingError
from policies.synth_graph import Graph


def test_users_map_to_orders_per_day(real_assumptions: AssumptionFile) -> None:
    # 3 orders per user per month over 730 / 24 = 30.4167 days
    assert orders_per_day_for_users(100_000, real_assumptions) == pytest.approx(9863.0137)
    assert orders_per_day_for_users(500_000, real_assumptions) == pytest.approx(49315.0685)


def test_cost_per_1000_orders_spreads_the_month_over_its_orders(
    real_assumptions: AssumptionFile,
) -> None:
    # 1,000 orders/day x 30.4167 days = 30,416.7 orders; $608.33 / 30.4167 = $20.00 per 1,000
    assert cost_per_1000_orders(608.3333333, 1000, real_assumptions) == pytest.approx(20.0)
    assert cost_per_1000_orders(6750, 100_000, real_assumptions) == pytest.approx(2.2192, 1e-4)
    with pytest.raises(ValueError, match="positive"):
        cost_per_1000_orders(100, 0, real_assumptions)


def test_reference_case_priced_with_our_table(
    prices: PriceTable, real_assumptions: AssumptionFile
) -> None:
    report = price(
        reference_graph(real_assumptions),
        prices,
        real_assumptions.for_env("prod", orders_per_day=100_000),
    )

    assert report.component_total("database") == pytest.approx(
        2 * 0.899 * 730 + 2 * 100 * 0.115  # db.r6g.2xlarge Multi-AZ + 2 x 100 GB gp3 = 1,335.54
    )
    assert report.component_total("cache") == pytest.approx(0.411 * 730)  # 300.03
    # 3 x kafka.m5.large + 3 x 100 GB, and clients' cross-AZ traffic: 100,000 orders/day x
    # 30.4167 days x 7.2 events per order x 1,024 B x 3 (1 write + 2 reads),
    # two thirds crossing AZs, at $0.02/GB = $0.90
    cross_az = 100_000 * 730 / 24 * 7.2 * 1024 * 3 / 1e9 * 2 / 3 * 0.02
    assert cross_az == pytest.approx(0.8970, abs=1e-4)
    assert report.component_total("streaming") == pytest.approx(
        3 * 0.21 * 730 + 3 * 100 * 0.10 + cross_az
    )
    assert report.total == pytest.approx(2126.37, abs=0.01)
    # the brief's $6,750 is 3.2 x what those three services cost at list price
    assert 6750 / report.total == pytest.approx(3.174, abs=1e-3)


def test_comparison_puts_ours_next_to_the_reference(
    small: Graph, prices: PriceTable, real_assumptions: AssumptionFile
) -> None:
    comparison = compare(small, prices, real_assumptions, "prod")

    assert [row[0] for row in comparison.rows()] == ["database", "cache", "streaming"]
    assert comparison.ours.plan.orders_per_day == 100_000
    assert comparison.reference_total == pytest.approx(2126.37, abs=0.01)
    assert any("6,750" in line for line in comparison.explanation())


def test_sizing_never_goes_below_the_configured_floor(
    small: Graph, prices: PriceTable, assumptions: AssumptionFile
) -> None:
    sized, _ = size_for_load(small, prices, assumptions, orders_per_day=1)

    assert price(sized, prices, assumptions.for_env("small")).total == pytest.approx(
        price(small, prices, assumptions.for_env("small")).total
    )


def test_heavy_load_grows_brokers_by_az_and_the_database_within_its_family(
    small: Graph, prices: PriceTable, real_assumptions: AssumptionFile
) -> None:
    # 5M orders/day x peak 10 / 86,400 = 578.7 sagas/s. Database: 578.7 x 4.6 CPU s per 1,000
    # orders / 0.6 = 4.44 vCPU → db.t4g.2xlarge (8). Kafka: 578.7 x 2.9 / 1,000 x RF 3 / 0.6 =
    # 8.39 vCPU / 2 per kafka.t3.small = 4.2 brokers → 3 per AZ x 2 AZs = 6 brokers.
    sized, plan = size_for_load(small, prices, real_assumptions, orders_per_day=5_000_000)
    by_name = {r.name: r for r in sized.resources}

    assert plan.peak_sagas_per_second == pytest.approx(578.70, abs=0.01)
    assert by_name["conveyor-small-db"].inputs["instanceClass"] == "db.t4g.2xlarge"
    assert by_name["conveyor-small-kafka"].inputs["numberOfBrokerNodes"] == 6
    # nodes: 578.7 x 9.1 / 1,000 / 0.6 = 8.78 vCPU + 2 for add-ons = 10.8 → 6 x t3.medium
    assert by_name["conveyor-small-general"].inputs["scalingConfig"]["desiredSize"] == 6


def test_no_class_large_enough_is_an_error(
    small: Graph, prices: PriceTable, real_assumptions: AssumptionFile
) -> None:
    with pytest.raises(PricingError, match=r"no db\.t4g\.\* class"):
        size_for_load(small, prices, real_assumptions, orders_per_day=100_000_000)


def test_more_users_cost_more_but_less_per_order(
    small: Graph, prices: PriceTable, real_assumptions: AssumptionFile
) -> None:
    lower, higher = (
        estimate(
            small,
            prices,
            real_assumptions,
            env="prod",
            label=str(users),
            orders_per_day=orders_per_day_for_users(users, real_assumptions),
        )
        for users in (100_000, 500_000)
    )

    assert higher.report.total > lower.report.total
    assert higher.cost_per_1000_orders < lower.cost_per_1000_orders
