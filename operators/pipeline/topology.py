"""Who talks to whom, as rendering and validation ask it: views derived from the catalogue.

Every fact comes from the one record per workload in workloads/catalogue.py; this module only
shapes it for the operator. NetworkPolicies, the CRD's CEL rules, the lag-autoscaling check and
the resiliency targets written into each ConfigMap read these names, so a new workload or a new
connection is declared in the catalogue and nowhere else.
"""

from __future__ import annotations

from workloads.catalogue import BY_NAME, WORKLOADS

WORKLOAD_NAMES: tuple[str, ...] = tuple(sorted(w.name for w in WORKLOADS))
DATABASE_OWNERS: frozenset[str] = frozenset(w.name for w in WORKLOADS if w.owns_database)
RUNNABLE: frozenset[str] = frozenset(w.name for w in WORKLOADS if w.runnable)
# Consumer groups: these read Kafka topics and can scale on their lag.
KAFKA_CONSUMERS: frozenset[str] = frozenset(w.name for w in WORKLOADS if w.consumes_kafka)
# Producers and consumers: everything that needs KAFKA_BOOTSTRAP_SERVERS and Kafka egress.
KAFKA_CLIENTS: frozenset[str] = frozenset(w.name for w in WORKLOADS if w.uses_kafka)
# Redis: the gateway's rate limits, the catalog's cache.
REDIS_CLIENTS: frozenset[str] = frozenset(w.name for w in WORKLOADS if w.uses_redis)

# Infrastructure a resiliency target may name besides a workload (Dapr calls these components).
COMPONENTS: tuple[str, ...] = ("kafka", "postgres", "redis")


def missing_secrets(workload: str, declared: frozenset[str]) -> tuple[str, ...]:
    """The Secret-backed variables `workload` refuses to start without and `declared` lacks."""
    record = BY_NAME.get(workload)
    return tuple(s for s in (record.secrets if record else ()) if s not in declared)


def uses_postgres(workload: str) -> bool:
    return workload in DATABASE_OWNERS


def uses_kafka(workload: str) -> bool:
    return workload in KAFKA_CLIENTS


def uses_redis(workload: str) -> bool:
    return workload in REDIS_CLIENTS


def callees(workload: str, present: frozenset[str]) -> tuple[str, ...]:
    """The workloads `workload` calls over HTTP, among those present in the pipeline.

    Synchronous calls happen only at the edge: the edge calls every other workload present.
    """
    record = BY_NAME.get(workload)
    if record is None or not record.calls_workloads:
        return ()
    return tuple(sorted(name for name in present if name != workload))


def callers(workload: str, present: frozenset[str]) -> tuple[str, ...]:
    """The workloads present in the pipeline that call `workload` over HTTP."""
    return tuple(sorted(name for name in present if workload in callees(name, present)))


def components(workload: str) -> tuple[str, ...]:
    """The infrastructure components `workload` talks to, in a stable order."""
    used = {"postgres": uses_postgres(workload), "kafka": uses_kafka(workload)}
    used["redis"] = uses_redis(workload)
    return tuple(name for name in COMPONENTS if used[name])
