"""Who talks to whom: the facts about each catalogued workload that rendering and validation need.

The workload catalogue (workloads/catalogue.py) says which workloads exist and which own a
database; this module adds how they connect (ARCHITECTURE.md §3): which consume Kafka (and may
therefore scale on consumer lag), which use Kafka at all, which use Redis, and that only the
gateway calls other workloads over HTTP. NetworkPolicies, the CRD's CEL rules and the resiliency
targets written into each ConfigMap are derived from these sets, so a new connection is declared
here once. Tests check these names against the catalogue so the two cannot drift.
"""

from __future__ import annotations

from workloads.catalogue import BY_NAME, WORKLOADS

WORKLOAD_NAMES: tuple[str, ...] = tuple(sorted(w.name for w in WORKLOADS))
DATABASE_OWNERS: frozenset[str] = frozenset(w.name for w in WORKLOADS if w.owns_database)
RUNNABLE: frozenset[str] = frozenset(w.name for w in WORKLOADS if w.runnable)

# Consumer groups: these read Kafka topics and can scale on their lag.
KAFKA_CONSUMERS: frozenset[str] = frozenset(
    {"order", "inventory", "payment", "shipping", "notification"}
)
# Producers and consumers: everything that needs KAFKA_BOOTSTRAP_SERVERS and Kafka egress.
KAFKA_CLIENTS: frozenset[str] = KAFKA_CONSUMERS | {"catalog"}
# Rate limits live in Redis.
REDIS_CLIENTS: frozenset[str] = frozenset({"gateway"})
# Synchronous calls happen only at the edge: the gateway calls every other HTTP workload.
EDGE = "gateway"

# Infrastructure a resiliency target may name besides a workload (Dapr calls these components).
COMPONENTS: tuple[str, ...] = ("kafka", "postgres", "redis")


def uses_postgres(workload: str) -> bool:
    return workload in DATABASE_OWNERS


def uses_kafka(workload: str) -> bool:
    return workload in KAFKA_CLIENTS


def uses_redis(workload: str) -> bool:
    return workload in REDIS_CLIENTS


def callees(workload: str, present: frozenset[str]) -> tuple[str, ...]:
    """The workloads `workload` calls over HTTP, among those present in the pipeline."""
    if workload != EDGE:
        return ()
    return tuple(sorted(name for name in present if name != EDGE))


def callers(workload: str, present: frozenset[str]) -> tuple[str, ...]:
    """The workloads present in the pipeline that call `workload` over HTTP."""
    return tuple(sorted(name for name in present if workload in callees(name, present)))


def components(workload: str) -> tuple[str, ...]:
    """The infrastructure components `workload` talks to, in a stable order."""
    used = {"postgres": uses_postgres(workload), "kafka": uses_kafka(workload)}
    used["redis"] = uses_redis(workload)
    return tuple(name for name in COMPONENTS if used[name])


def default_port(workload: str) -> int | None:
    """The loopback port the local runner gives replica 0 (None for catalogue-only workloads)."""
    return BY_NAME[workload].http_port
