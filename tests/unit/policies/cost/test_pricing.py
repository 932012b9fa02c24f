"""Pricing of the small hand-written graph against figures computed by hand.

Fixture: 2 AZs, 1 NAT (+ its EIP), 1 interface endpoint in 2 AZs, 1 S3 gateway endpoint,
EKS with 2 x t3.medium (20 GB each), RDS db.t4g.medium Multi-AZ 20 GB gp3 with a managed master
secret, Redis 2 x cache.t4g.small, MSK 2 x kafka.t3.small with 10 GB each, one secret, one KMS
key, two log groups (flow logs 30 days, EKS 7 days). 730 hours, 36,500 orders a month.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from policies.cost.components import component_of
from policies.cost.model import price, unpriced_types
from policies.cost.tables import AssumptionFile, PriceTable, PricingError
from policies.synth_graph import Graph, Resource

DAYS = 730 / 24

# By hand, component by component (price x quantity):
NETWORK = (
    20 * 0.09  # internet egress: 20 GB
    + 730 * 0.005  # NAT's public IPv4
    + 730 * 0.045  # NAT hours
    + 83 * 0.045  # NAT data: 10 GB + 36,500 orders x 2 GB / 1,000
    + 2 * 730 * 0.01  # interface endpoint in 2 AZs
    + 5 * 0.01  # endpoint data
    + 4 * 0.50  # flow logs ingested
    + 4 * 30 / DAYS * 0.03  # flow logs kept 30 days
)  # = 58.8034
CLUSTER = (
    1.00  # KMS key
    + 100_000 / 10_000 * 0.03  # KMS requests
    + 730 * 0.10  # EKS control plane
    + 2 * 730 * 0.0416  # 2 x t3.medium
    + 2 * 20 * 0.08  # 2 x 20 GB gp3
    + 2 * 0.50  # control-plane logs ingested
    + 2 * 7 / DAYS * 0.03  # kept 7 days
)  # = 139.2498
DATABASE = 2 * 730 * 0.065 + 2 * 20 * 0.115 + 0.40  # Multi-AZ: 2 x instance, 2 x storage; secret
CACHE = 2 * 730 * 0.032
# MSK: brokers, storage, and clients' cross-AZ traffic: 36,500 orders x 10 events x 1,000 B x
# (1 write + 2 reads) = 1.095 GB, half of it crossing AZs (2 AZs), at 0.02 $/GB.
STREAMING = 2 * 730 * 0.0456 + 2 * 10 * 0.10 + 1.095 / 2 * 0.02
OBSERVABILITY = 0.40 + 10_000 / 10_000 * 0.05  # a secret and its API calls


def test_small_config_costs_the_hand_computed_figures(
    small: Graph, prices: PriceTable, assumptions: AssumptionFile
) -> None:
    report = price(small, prices, assumptions.for_env("small"))

    assert report.per_component == pytest.approx(
        {
            "network": 58.803356,
            "cluster": 139.249808,
            "database": 99.90,
            "cache": 46.72,
            "streaming": 68.58695,
            "observability": 0.45,
        }
    )
    assert report.per_component == pytest.approx(
        {
            "network": NETWORK,
            "cluster": CLUSTER,
            "database": DATABASE,
            "cache": CACHE,
            "streaming": STREAMING,
            "observability": OBSERVABILITY,
        }
    )
    assert report.total == pytest.approx(413.710114)


def test_multi_az_database_is_two_instances_and_two_volumes(
    small: Graph, prices: PriceTable, assumptions: AssumptionFile
) -> None:
    lines = [
        line
        for line in price(small, prices, assumptions.for_env("small")).lines
        if line.resource == "conveyor-small-db"
    ]

    assert [(line.quantity, line.unit_usd) for line in lines] == [
        (2 * 730, 0.065),
        (2 * 20, 0.115),
        (1, 0.40),
    ]
    assert lines[0].source == "https://aws.amazon.com/rds/postgresql/pricing/"


def _with(graph: Graph, name: str, **inputs: object) -> Graph:
    target = next(r for r in graph.resources if r.name == name)
    return graph.replacing({target.urn: target.with_inputs(**inputs)})


def test_unknown_instance_class_is_an_error_naming_it(
    small: Graph, prices: PriceTable, assumptions: AssumptionFile
) -> None:
    broken = _with(small, "conveyor-small-db", instanceClass="db.x9.huge")

    with pytest.raises(PricingError, match=r"db\.x9\.huge.*conveyor-small-db.*rds\.instances"):
        price(broken, prices, assumptions.for_env("small"))


def test_unknown_node_type_of_every_priced_service_is_an_error(
    small: Graph, prices: PriceTable, assumptions: AssumptionFile
) -> None:
    cases: list[tuple[str, dict[str, object]]] = [
        ("conveyor-small-general", {"instanceTypes": ["z9.large"]}),
        ("conveyor-small-redis", {"nodeType": "cache.z9.large"}),
        ("conveyor-small-kafka", {"brokerNodeGroupInfo": {"instanceType": "kafka.z9.large"}}),
    ]
    for name, inputs in cases:
        with pytest.raises(PricingError, match=r"z9\.large"):
            price(_with(small, name, **inputs), prices, assumptions.for_env("small"))


def test_unknown_resource_type_is_an_error_never_zero(
    small: Graph, prices: PriceTable, assumptions: AssumptionFile
) -> None:
    table = Resource(
        urn="urn:pulumi:small::conveyor::aws:dynamodb/table:Table::orders",
        type="aws:dynamodb/table:Table",
        name="orders",
        custom=True,
        id="orders-id",
        inputs={},
        parent=None,
    )
    broken = Graph(
        project="conveyor", stack="small", config={}, resources=(*small.resources, table)
    )

    assert unpriced_types(broken, prices) == ["aws:dynamodb/table:Table"]
    with pytest.raises(PricingError, match=r"aws:dynamodb/table:Table \(orders\)"):
        price(broken, prices, assumptions.for_env("small"))


def test_a_missing_rate_is_an_error_naming_the_key(
    small: Graph, prices: PriceTable, assumptions: AssumptionFile
) -> None:
    broken = _with(small, "conveyor-small-db", storageType="io1", iops=3000)

    with pytest.raises(PricingError, match=r"rds\.rates\.io1_gb_month"):
        price(broken, prices, assumptions.for_env("small"))


def test_performance_insights_beyond_seven_days_is_priced_per_vcpu(
    small: Graph, prices: PriceTable, assumptions: AssumptionFile
) -> None:
    longer = _with(small, "conveyor-small-db", performanceInsightsRetentionPeriod=31)

    before = price(small, prices, assumptions.for_env("small")).component_total("database")
    after = price(longer, prices, assumptions.for_env("small")).component_total("database")

    assert after - before == pytest.approx(2 * 2 * 1.5217)  # 2 instances x 2 vCPU, one month


def test_free_resources_are_listed_with_their_reason(
    small: Graph, prices: PriceTable, assumptions: AssumptionFile
) -> None:
    report = price(small, prices, assumptions.for_env("small"))
    free = {f.type: f.reason for f in report.free}

    assert "aws:ec2/vpc:Vpc" in free
    assert "kubernetes:helm.sh/v3:Release" in free
    assert all(free.values())
    priced = {line.type for line in report.lines}
    assert not priced & set(free)


def test_the_report_is_deterministic(
    small: Graph, prices: PriceTable, assumptions: AssumptionFile
) -> None:
    first = price(small, prices, assumptions.for_env("small")).to_dict()
    second = price(small, prices, assumptions.for_env("small")).to_dict()

    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_components_group_by_the_outermost_parent_component(small: Graph) -> None:
    components = {component_of(small, r) for r in small.resources if r.custom}

    assert components == {
        "network",
        "cluster",
        "database",
        "cache",
        "streaming",
        "observability",
        "unparented",
    }


def test_usage_is_shared_not_multiplied_by_resource_count(
    small: Graph, prices: PriceTable, assumptions: AssumptionFile
) -> None:
    nat = next(r for r in small.resources if r.name == "conveyor-small-nat-0")
    twin = replace(nat, urn=nat.urn + "-twin", name="conveyor-small-nat-1", id="nat-1-id")
    doubled = Graph(
        project="conveyor", stack="small", config={}, resources=(*small.resources, twin)
    )

    lines = price(doubled, prices, assumptions.for_env("small")).lines
    processed = [line.quantity for line in lines if line.item == "NAT data processed"]

    assert processed == [41.5, 41.5]  # 83 GB split over two gateways
