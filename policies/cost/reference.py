"""The product brief's reference case, priced with our table, next to our own prod config.

The brief says: 100K orders/day on MSK 3 x kafka.m5.large, RDS db.r6g.2xlarge Multi-AZ and
ElastiCache cache.r6g.xlarge is about $6,750/month. We build exactly those three resources as a
graph (storage sizes it does not state come from assumptions.yaml) and price them with the same
pricers, so the comparison uses one table and one set of rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.cost.capacity import Estimate, cost_per_1000_orders, estimate
from policies.cost.lines import CostReport
from policies.cost.model import price
from policies.cost.tables import AssumptionFile, PriceTable
from policies.synth_graph import Graph, Resource

DATA_TIER = ("database", "cache", "streaming")


@dataclass(frozen=True)
class Comparison:
    brief_monthly_usd: float
    reference: CostReport
    ours: Estimate

    @property
    def reference_total(self) -> float:
        return self.reference.total

    @property
    def ours_data_tier(self) -> float:
        return sum(self.ours.report.component_total(c) for c in DATA_TIER)

    def rows(self) -> list[tuple[str, float, float]]:
        """(component, reference USD, ours USD) for the three services the brief names."""
        return [
            (c, self.reference.component_total(c), self.ours.report.component_total(c))
            for c in DATA_TIER
        ]

    def explanation(self) -> list[str]:
        ours = self.ours.report
        return [
            f"the brief's three services priced with our table: ${self.reference_total:,.0f}"
            f"/month, {self.brief_monthly_usd / self.reference_total:.2f}x below its "
            f"${self.brief_monthly_usd:,.0f}: list prices alone do not reach the brief's figure, "
            "which must count more than those three services or use other prices",
            f"ours, the same three services sized for the same load: ${self.ours_data_tier:,.0f}"
            f" ({self.ours_data_tier - self.reference_total:+,.0f}); the line items show where",
            f"ours, everything else (network, cluster, observability, add-ons): "
            f"${ours.total - self.ours_data_tier:,.0f}",
            f"ours in total: ${ours.total:,.0f}/month "
            f"({ours.total - self.brief_monthly_usd:+,.0f} vs the brief's figure)",
        ]


def reference_graph(a: AssumptionFile) -> Graph:
    """Only the three resources the brief names, as the synth would have declared them."""
    ref = a.reference_case
    stack = "urn:pulumi:reference::conveyor::pulumi:pulumi:Stack::reference"

    def component(kind: str) -> Resource:
        token = f"conveyor:platform:{kind}"
        return Resource(
            urn=f"urn:pulumi:reference::conveyor::{token}::{kind.lower()}",
            type=token,
            name=kind.lower(),
            custom=False,
            id=None,
            inputs={},
            parent=stack,
        )

    def child(parent: Resource, type_token: str, name: str, inputs: dict[str, object]) -> Resource:
        return Resource(
            urn=f"{parent.urn}${type_token}::{name}",
            type=type_token,
            name=name,
            custom=True,
            id=f"{name}-id",
            inputs=inputs,
            parent=parent.urn,
        )

    db, cache, streaming = component("Database"), component("Cache"), component("Streaming")
    resources = (
        Resource(
            urn=stack,
            type="pulumi:pulumi:Stack",
            name="reference",
            custom=False,
            id=None,
            inputs={},
        ),
        db,
        cache,
        streaming,
        child(
            db,
            "aws:rds/instance:Instance",
            "reference-db",
            {
                "instanceClass": ref.rds_class,
                "multiAz": ref.rds_multi_az,
                "allocatedStorage": ref.rds_storage_gb,
                "storageType": "gp3",
            },
        ),
        child(
            cache,
            "aws:elasticache/replicationGroup:ReplicationGroup",
            "reference-redis",
            {
                "nodeType": ref.cache_node_type,
                "numCacheClusters": ref.cache_nodes,
            },
        ),
        child(
            streaming,
            "aws:msk/cluster:Cluster",
            "reference-kafka",
            {
                "numberOfBrokerNodes": ref.msk_brokers,
                "brokerNodeGroupInfo": {
                    "instanceType": ref.msk_instance,
                    "storageInfo": {"ebsStorageInfo": {"volumeSize": ref.msk_volume_gb}},
                },
            },
        ),
    )
    return Graph(project="conveyor", stack="reference", config={}, resources=resources)


def compare(prod: Graph, prices: PriceTable, a: AssumptionFile, env: str) -> Comparison:
    orders = a.reference_case.orders_per_day
    reference = price(reference_graph(a), prices, a.for_env(env, orders_per_day=orders))
    ours = estimate(
        prod, prices, a, env=env, orders_per_day=orders, label=f"{env} at {orders:,.0f} orders/day"
    )
    return Comparison(a.reference_case.brief_monthly_usd, reference, ours)


def reference_per_1000_orders(comparison: Comparison, a: AssumptionFile) -> float:
    return cost_per_1000_orders(comparison.reference_total, a.reference_case.orders_per_day, a)
