"""The workloads of Conveyor and what each one owns (ARCHITECTURE.md §3).

This is the single list the local runner reads to create one database per service; the
OrderPipeline spec grows out of it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Workload:
    name: str
    owns_database: bool
    purpose: str


WORKLOADS: tuple[Workload, ...] = (
    Workload("gateway", owns_database=False, purpose="HTTP edge, rate limits in Redis"),
    Workload("identity", owns_database=True, purpose="users, credentials, refresh-token families"),
    Workload("catalog", owns_database=True, purpose="products and categories"),
    Workload("order", owns_database=True, purpose="orders, saga state, event store, read model"),
    Workload("inventory", owns_database=True, purpose="stock and reservations"),
    Workload("payment", owns_database=True, purpose="payments, refunds, ledger"),
    Workload("shipping", owns_database=True, purpose="shipments"),
    Workload("notification", owns_database=True, purpose="notification log"),
)


def database_name(workload: str) -> str:
    """Database and role name of a workload (`order` is an SQL keyword, so names are prefixed)."""
    return f"conveyor_{workload}"
