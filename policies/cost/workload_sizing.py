"""Replicas per workload from measured CPU per order, and the cost model's tiers from the same.

Pure: measured figures in, sizes out. Inputs are CPU seconds per 1,000 orders per process, as
`make bench` (build/bench/saga.json) or a load run (build/load/checkout.json) measured them, and
optionally CPU seconds per 1,000 browse requests (build/load/browse.json) with the number of
browse requests a customer makes per order. A process `<workload>-<n>` is a replica of that
workload (replicas are summed: the figure is per order, whoever served it); `postgres`, `kafka`
and `redis` are the database, streaming and cache tiers; everything else the local stack runs
(the driver, Prometheus, the supervisor, the fake card provider, the trace store) is not part
of a deployment and is left out.

Replicas: a workload replica is one Python process, which uses at most one core, so a replica is
one vCPU; replicas = ceil(orders/s x CPU s per order / target utilization), at least
`min_replicas` (two: one may be restarted while the other serves). The tiers handed to the cost
model (`assumptions.yaml` `benchmark.cpu_seconds_per_1000_orders`): app = every workload, with
the catalog's browse share; database = PostgreSQL; streaming = Kafka.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

REPLICA = re.compile(r"^(?P<workload>[a-z]+)-\d+$")
TIERS = {"postgres": "database", "kafka": "streaming", "redis": "cache"}
NOT_DEPLOYED = ("payment-provider",)
# What serves a browse request; a browse run's other processes only idle, and their idle work is
# already in the per-order figures.
BROWSE_SERVERS = ("catalog", "database", "cache")


def per_workload(per_process: Mapping[str, float]) -> dict[str, float]:
    """CPU per 1,000 of each workload (replicas summed) and tier; other processes left out."""
    found: dict[str, float] = {}
    for name, seconds in per_process.items():
        match = REPLICA.match(name)
        if name in TIERS:
            key = TIERS[name]
        elif match and name not in NOT_DEPLOYED:
            key = match["workload"]
        else:
            continue
        found[key] = round(found.get(key, 0.0) + seconds, 3)
    return found


def combined(
    per_order: Mapping[str, float], per_browse: Mapping[str, float], browse_per_order: float
) -> dict[str, float]:
    """CPU s per 1,000 orders, with each order's browse requests charged to their servers."""
    per_browse = {n: s for n, s in per_browse.items() if n in BROWSE_SERVERS}
    names = set(per_order) | set(per_browse)
    return {
        n: round(per_order.get(n, 0.0) + browse_per_order * per_browse.get(n, 0.0), 3)
        for n in sorted(names)
    }


@dataclass(frozen=True)
class Sizing:
    orders_per_second: float
    vcpu: dict[str, float]  # per workload and tier, at the target utilization
    replicas: dict[str, int]  # per workload (tiers are sized by the cost model)


def size(
    cpu_per_1000: Mapping[str, float],
    orders_per_second: float,
    *,
    utilization: float,
    min_replicas: int = 2,
    replica_vcpu: float = 1.0,
) -> Sizing:
    vcpu = {
        n: round(orders_per_second * s / 1000 / utilization, 3) for n, s in cpu_per_1000.items()
    }
    replicas = {
        n: max(min_replicas, math.ceil(v / replica_vcpu - 1e-9))
        for n, v in vcpu.items()
        if n not in TIERS.values()
    }
    return Sizing(orders_per_second, vcpu, replicas)


def cost_tiers(cpu_per_1000: Mapping[str, float]) -> dict[str, float]:
    """The cost model's three tiers (app, database, streaming) from per-workload figures."""
    app = sum(s for n, s in cpu_per_1000.items() if n not in TIERS.values())
    database = cpu_per_1000.get("database")
    streaming = cpu_per_1000.get("streaming")
    if not app or not database or not streaming:
        raise ValueError(
            "the measured figures need the services, postgres and kafka "
            f"(found: {', '.join(sorted(cpu_per_1000)) or 'nothing'})"
        )
    return {"app": round(app, 2), "database": database, "streaming": streaming}
