"""The workloads of Conveyor: what each owns and how it runs (ARCHITECTURE.md §3).

This is the single list the local runner reads to create one database per service and to start
each runnable workload; it is the first form of the OrderPipeline spec the operator formalises.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Workload:
    name: str
    owns_database: bool
    purpose: str
    module: str | None = None  # `python -m <module>`; None until the service exists
    http_port: int | None = None  # replica i listens on http_port + 100 * i
    replicas: int = 1
    env: dict[str, str] = field(default_factory=dict)

    @property
    def runnable(self) -> bool:
        return self.module is not None

    def port(self, replica: int) -> int:
        if self.http_port is None:
            raise ValueError(f"{self.name} has no HTTP port")
        return self.http_port + 100 * replica


WORKLOADS: tuple[Workload, ...] = (
    Workload("gateway", owns_database=False, purpose="HTTP edge, rate limits in Redis"),
    Workload("identity", owns_database=True, purpose="users, credentials, refresh-token families"),
    Workload("catalog", owns_database=True, purpose="products and categories"),
    Workload(
        "order",
        owns_database=True,
        purpose="orders, saga state, event store, read model",
        module="workloads.order",
        http_port=18001,
    ),
    Workload(
        "inventory",
        owns_database=True,
        purpose="stock and reservations",
        module="workloads.inventory",
        http_port=18002,
    ),
    Workload(
        "payment",
        owns_database=True,
        purpose="payments, refunds, ledger",
        module="workloads.payment",
        http_port=18003,
    ),
    Workload("shipping", owns_database=True, purpose="shipments"),
    Workload(
        "notification",
        owns_database=True,
        purpose="notification log",
        module="workloads.notification",
        http_port=18004,
    ),
)

BY_NAME = {w.name: w for w in WORKLOADS}


def database_name(workload: str) -> str:
    """Database and role name of a workload (`order` is an SQL keyword, so names are prefixed)."""
    return f"conveyor_{workload}"
