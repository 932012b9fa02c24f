"""The product brief's questions: cost at N users, cost per 1,000 orders, the reference case.

Method: users → orders/day (assumptions.yaml `load`) → peak sagas/s → vCPU per tier from the
measured CPU seconds per 1,000 orders of that tier's processes (`make bench`,
`cpu_seconds_per_1000_orders`: the services for the cluster, PostgreSQL for the database, Kafka
for the brokers), so each tier is sized by its own cost, not by the whole machine's throughput.
A vCPU here is one core of the benchmark machine. The env's own graph is the floor (its sizes are
the HA minimums); a tier grows only when the load needs more:
- cluster: node count so that app vCPU (peak sagas/s x app CPU s per order ÷ target utilization)
  plus the add-ons' vCPU fit;
- database: the smallest class of the same family with enough vCPU (peak sagas/s x PostgreSQL
  CPU s per order ÷ target utilization); storage for the retained order data;
- streaming: brokers (a multiple of the AZ count) with vCPU for peak sagas/s x Kafka CPU s per
  order x replication factor ÷ target utilization; broker storage for the retained events;
- cache: unchanged (rate-limit counters: a few operations per request, far below one node).
Then the resized graph is priced by the same `model.price`. Pure: no files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from policies.cost.lines import CostReport
from policies.cost.model import price
from policies.cost.tables import AssumptionFile, PriceTable, PricingError
from policies.synth_graph import Graph, Resource

SECONDS_PER_DAY = 86_400
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
RDS = "aws:rds/instance:Instance"
MSK = "aws:msk/cluster:Cluster"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"


@dataclass(frozen=True)
class LoadPlan:
    """The load a sizing was made for, and why each tier has the size it has."""

    orders_per_day: float
    peak_sagas_per_second: float
    peak_events_per_minute: float
    decisions: tuple[str, ...]


@dataclass(frozen=True)
class Estimate:
    label: str
    plan: LoadPlan
    report: CostReport
    cost_per_1000_orders: float


def orders_per_day_for_users(users: float, a: AssumptionFile) -> float:
    return users * a.load.orders_per_user_per_month / a.days_per_month


def cost_per_1000_orders(monthly_usd: float, orders_per_day: float, a: AssumptionFile) -> float:
    """Monthly cost spread over the month's orders (days per month = hours per month / 24)."""
    if orders_per_day <= 0:
        raise ValueError("orders per day must be positive to spread a cost over them")
    return monthly_usd / (orders_per_day * a.days_per_month) * 1000


def _peaks(orders_per_day: float, a: AssumptionFile) -> tuple[float, float]:
    sagas = orders_per_day / SECONDS_PER_DAY * a.load.peak_to_average
    return sagas, sagas * a.benchmark.events_per_order * 60


def size_for_load(
    graph: Graph, prices: PriceTable, a: AssumptionFile, orders_per_day: float
) -> tuple[Graph, LoadPlan]:
    """The graph resized (never below its own sizes) for `orders_per_day`, and the reasons."""
    sagas, events = _peaks(orders_per_day, a)
    cpu = a.benchmark.cpu_seconds_per_1000_orders
    util = a.load.target_utilization
    changes: dict[str, Resource] = {}
    why: list[str] = []

    groups = graph.of_type(NODE_GROUP)
    need_vcpu = sagas * cpu.app / 1000 / util + a.load.system_vcpu
    for group in groups:
        types = group.inputs.get("instanceTypes") or ["t3.medium"]
        vcpu = prices.instance("ec2", types[0], resource=group.name).vcpu
        scaling = dict(group.inputs.get("scalingConfig") or {})
        desired = int(scaling.get("desiredSize") or 0)
        wanted = max(desired, math.ceil(need_vcpu / len(groups) / vcpu))
        scaling.update(desiredSize=wanted, maxSize=max(wanted, int(scaling.get("maxSize") or 0)))
        changes[group.urn] = group.with_inputs(scalingConfig=scaling)
        why.append(
            f"cluster {group.name}: {need_vcpu:.1f} vCPU needed ({sagas:.1f} sagas/s at peak x "
            f"{cpu.app:g} CPU s per 1,000 ÷ {util:g} + {a.load.system_vcpu:g} for add-ons) → "
            f"{wanted} x {types[0]} (configured {desired})"
        )

    databases = graph.of_type(RDS)
    for db in databases:
        cls = str(db.inputs.get("instanceClass"))
        need = sagas * cpu.database / 1000 / util / len(databases)
        chosen = _class_with_vcpu(prices, cls, need, resource=db.name)
        need_gb = (
            orders_per_day
            * a.days_per_month
            * a.load.db_retention_months
            * a.load.db_kb_per_order
            / 1e6
            / len(databases)
            / util
        )
        gb = max(float(db.inputs.get("allocatedStorage") or 0), math.ceil(need_gb))
        changes[db.urn] = db.with_inputs(instanceClass=chosen, allocatedStorage=gb)
        why.append(
            f"database {db.name}: {need:.2f} vCPU needed → {chosen} (configured {cls}); "
            f"{need_gb:.0f} GB for {a.load.db_retention_months:g} months of orders → {gb:g} GB"
        )

    for msk in graph.of_type(MSK):
        info = dict(msk.inputs.get("brokerNodeGroupInfo") or {})
        instance = str(info.get("instanceType"))
        vcpu = prices.instance("msk", instance, resource=msk.name).vcpu
        configured = int(msk.inputs.get("numberOfBrokerNodes") or 0)
        azs = len(info.get("clientSubnets") or []) or max(1, configured)
        rf = a.load.replication_factor
        need_vcpu = sagas * cpu.streaming / 1000 * rf / util
        brokers = max(configured, azs * math.ceil(need_vcpu / vcpu / azs))
        daily_gb = orders_per_day * a.benchmark.events_per_order * a.load.event_bytes / 1e9
        need_gb = daily_gb * a.load.kafka_retention_days * rf / brokers / util
        storage = dict(info.get("storageInfo") or {})
        ebs = dict(storage.get("ebsStorageInfo") or {})
        gb = max(float(ebs.get("volumeSize") or 0), math.ceil(need_gb))
        ebs["volumeSize"] = gb
        storage["ebsStorageInfo"] = ebs
        info["storageInfo"] = storage
        changes[msk.urn] = msk.with_inputs(brokerNodeGroupInfo=info, numberOfBrokerNodes=brokers)
        why.append(
            f"streaming {msk.name}: {events:,.0f} events/min at peak; {need_vcpu:.2f} vCPU for "
            f"RF {rf} ({vcpu:g} per broker) → {brokers} x {instance} (configured {configured}); "
            f"{need_gb:.1f} GB per broker for {a.load.kafka_retention_days:g} days → {gb:g} GB"
        )

    for cache in graph.of_type(CACHE):
        why.append(f"cache {cache.name}: unchanged (rate-limit counters, far below one node)")

    plan = LoadPlan(orders_per_day, sagas, events, tuple(why))
    return graph.replacing(changes), plan


def _class_with_vcpu(prices: PriceTable, current: str, vcpu: float, *, resource: str) -> str:
    """The smallest class of `current`'s family with at least `vcpu`, never below `current`."""
    table = prices.sections["rds"].instances
    floor = prices.instance("rds", current, resource=resource)
    family = current.rsplit(".", 1)[0] + "."
    fits = sorted(
        (spec.vcpu, spec.hour, name)
        for name, spec in table.items()
        if name.startswith(family)
        and spec.vcpu >= max(vcpu, floor.vcpu)
        and spec.hour >= floor.hour
    )
    if not fits:
        raise PricingError(f"{resource}: no {family}* class in prices.yaml has {vcpu:.1f} vCPU")
    return fits[0][2]


def estimate(
    graph: Graph,
    prices: PriceTable,
    a: AssumptionFile,
    *,
    env: str,
    orders_per_day: float,
    label: str,
) -> Estimate:
    """Size the env's graph for a load and price it."""
    sized, plan = size_for_load(graph, prices, a, orders_per_day)
    report = price(sized, prices, a.for_env(env, orders_per_day=orders_per_day))
    return Estimate(label, plan, report, cost_per_1000_orders(report.total, orders_per_day, a))


def for_users(
    users: float, graph: Graph, prices: PriceTable, a: AssumptionFile, env: str
) -> Estimate:
    orders = orders_per_day_for_users(users, a)
    return estimate(graph, prices, a, env=env, orders_per_day=orders, label=f"{users:,.0f} users")
