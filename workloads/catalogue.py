"""The workloads of Conveyor, one record each: every fact about a workload, said once.

Each `Workload` says what it is for, what it owns (its own database), how it runs locally (its
module and loopback port), and how it connects (workloads/README.md): the Kafka consumer groups
it reads with and the topics it reads and writes, whether it uses Redis, and whether it calls
other workloads over HTTP (only the edge does). Everything else is derived from these records:
the local runner creates one database per owner and starts each runnable workload; the operator
(operators/pipeline/topology.py) derives NetworkPolicies, the CRD's CEL rules, the resiliency
targets in each ConfigMap and which workloads may scale on consumer lag. A new workload or
connection is therefore declared here once.

Topics are named as in workloads/contracts/topics.py; consumer groups as the services create
them (`Runtime.consumer(group, ...)`), and lag-based autoscaling counts exactly these groups.
Workloads not built yet (no module) carry their planned connections, so a pipeline can already
describe them.
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
    consumer_groups: tuple[str, ...] = ()  # Kafka consumer groups it reads with
    reads: tuple[str, ...] = ()  # topics its consumer groups subscribe to
    writes: tuple[str, ...] = ()  # topics it publishes to (through its outbox)
    uses_redis: bool = False
    calls_workloads: bool = False  # the edge: calls every other workload over HTTP
    # The public path prefixes its HTTP API answers: the gateway routes by these (longest first).
    serves: tuple[str, ...] = ()
    # Environment it must get from a Secret (secretEnv): its settings refuse to start without it.
    secrets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if bool(self.consumer_groups) != bool(self.reads):
            raise ValueError(f"{self.name}: consumer groups and the topics they read go together")

    @property
    def runnable(self) -> bool:
        return self.module is not None

    @property
    def consumes_kafka(self) -> bool:
        """Reads Kafka through consumer groups, so it can scale on their lag."""
        return bool(self.consumer_groups)

    @property
    def uses_kafka(self) -> bool:
        """Produces or consumes: needs the Kafka bootstrap servers and Kafka egress."""
        return self.consumes_kafka or bool(self.writes)

    def port(self, replica: int) -> int:
        if self.http_port is None:
            raise ValueError(f"{self.name} has no HTTP port")
        return self.http_port + 100 * replica


WORKLOADS: tuple[Workload, ...] = (
    Workload(
        "gateway",
        owns_database=False,
        purpose="HTTP edge, rate limits in Redis",
        module="workloads.gateway",
        http_port=18000,
        uses_redis=True,
        calls_workloads=True,
    ),
    Workload(
        "identity",
        owns_database=True,
        purpose="users, credentials, refresh-token families, signing keys; login limits in Redis",
        module="workloads.identity",
        http_port=18006,
        uses_redis=True,
        serves=("/v1/auth", "/v1/users", "/.well-known/jwks.json"),
        secrets=("ADMIN_TOKEN", "SIGNING_KEY_PASSPHRASE"),
    ),
    Workload(
        "catalog",
        owns_database=True,
        purpose="products and categories (the browse model), cache-aside in Redis",
        module="workloads.catalog",
        http_port=18005,
        serves=("/v1/products", "/v1/featured", "/v1/categories"),
        secrets=("ADMIN_TOKEN",),
        # one group: inventory's price and stock into the browse model, and its own
        # ProductUpdated back, to invalidate exactly the cached views a change touches
        consumer_groups=("catalog",),
        reads=("catalog.products", "inventory.products"),
        writes=("catalog.products",),
        uses_redis=True,
    ),
    Workload(
        "order",
        owns_database=True,
        purpose="orders, saga state, event store, read model",
        module="workloads.order",
        http_port=18001,
        # the customers' order history is the order service's read model until one is split out
        serves=("/v1/orders", "/v1/customers"),
        consumer_groups=("order-saga", "order-products"),
        reads=(
            "inventory.reserved",
            "inventory.reservation_failed",
            "inventory.released",
            "inventory.products",
            "payments.completed",
            "payments.failed",
            "payments.refunded",
            "shipping.shipped",
        ),
        writes=(
            "orders.created",
            "orders.confirmed",
            "orders.failed",
            "inventory.commands",
            "payments.commands",
        ),
    ),
    Workload(
        "inventory",
        owns_database=True,
        purpose="stock and reservations",
        module="workloads.inventory",
        http_port=18002,
        serves=("/v1/inventory", "/v1/admin/inventory"),
        secrets=("ADMIN_TOKEN",),
        consumer_groups=("inventory",),
        reads=("inventory.commands", "orders.confirmed", "orders.failed"),
        writes=(
            "inventory.reserved",
            "inventory.reservation_failed",
            "inventory.released",
            "inventory.products",
        ),
    ),
    Workload(
        "payment",
        owns_database=True,
        purpose="payments, refunds, ledger",
        module="workloads.payment",
        http_port=18003,
        serves=("/v1/payments",),
        consumer_groups=("payment",),
        reads=("payments.commands",),
        writes=("payments.completed", "payments.failed", "payments.refunded"),
    ),
    Workload(
        "shipping",
        owns_database=True,
        purpose="shipments, one per confirmed order",
        module="workloads.shipping",
        http_port=18007,
        serves=("/v1/shipments",),
        consumer_groups=("shipping",),
        reads=("orders.confirmed",),
        writes=("shipping.shipped",),
    ),
    Workload(
        "notification",
        owns_database=True,
        purpose="notification log",
        module="workloads.notification",
        http_port=18004,
        serves=("/v1/notifications",),
        consumer_groups=("notification",),
        reads=("orders.confirmed", "orders.failed"),
        writes=("notifications.send",),
    ),
)

BY_NAME = {w.name: w for w in WORKLOADS}


def database_name(workload: str) -> str:
    """Database and role name of a workload (`order` is an SQL keyword, so names are prefixed)."""
    return f"conveyor_{workload}"
