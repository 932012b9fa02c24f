"""Every Kafka topic of Conveyor, declared once: name, partitions, retention, cleanup, key.

The local runner creates these on `conveyor local up`; the MSK configuration and the operator read
the same declaration, so a topic never differs between a laptop and a cluster. Keys are the
aggregate id, which keeps per-aggregate ordering (docs/adr/0005).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CleanupPolicy = Literal["delete", "compact", "compact,delete"]

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    key: str
    retention_ms: int = 7 * DAY_MS  # -1 keeps messages forever
    cleanup_policy: CleanupPolicy = "delete"
    # Durability is the environment's (a pipeline's `spec.kafka.topics`); one broker locally.
    replication_factor: int = 1
    min_insync_replicas: int = 1

    def __post_init__(self) -> None:
        if self.partitions < 1:
            raise ValueError(f"topic {self.name}: partitions must be >= 1")
        if self.retention_ms < -1 or self.retention_ms == 0:
            raise ValueError(f"topic {self.name}: retention_ms must be positive or -1")
        if not 1 <= self.min_insync_replicas <= self.replication_factor:
            raise ValueError(f"topic {self.name}: need 1 <= min ISR <= replication factor")

    def configs(self) -> dict[str, str]:
        """Topic-level configuration overrides, as Kafka's admin API takes them."""
        return {
            "retention.ms": str(self.retention_ms),
            "cleanup.policy": self.cleanup_policy,
            "min.insync.replicas": str(self.min_insync_replicas),
        }


DLQ_SUFFIX = ".dlq"
DLQ_RETENTION_MS = 14 * DAY_MS


def dlq_topic(topic: str) -> str:
    """The dead-letter topic of `topic`: `<topic>.dlq`."""
    return topic + DLQ_SUFFIX


_EVENT_TOPICS: tuple[TopicSpec, ...] = (
    # order service
    TopicSpec("orders.created", partitions=6, key="order id"),
    TopicSpec("orders.confirmed", partitions=6, key="order id"),
    TopicSpec("orders.failed", partitions=6, key="order id"),  # OrderCancelled, with its reason
    # commands the order saga sends; keyed by order id so a release never overtakes its reserve
    TopicSpec("inventory.commands", partitions=6, key="order id"),
    TopicSpec("payments.commands", partitions=6, key="order id"),
    # inventory service
    TopicSpec("inventory.reserved", partitions=6, key="order id"),
    TopicSpec("inventory.reservation_failed", partitions=6, key="order id"),
    TopicSpec("inventory.released", partitions=6, key="order id"),
    TopicSpec(
        "inventory.products",
        partitions=3,
        key="product id",
        retention_ms=-1,
        cleanup_policy="compact",
    ),
    # catalog service: ProductUpdated, read back by the catalog itself to invalidate its cache
    TopicSpec("catalog.products", partitions=3, key="product id"),
    # payment service
    TopicSpec("payments.completed", partitions=6, key="order id"),
    TopicSpec("payments.failed", partitions=6, key="order id"),
    TopicSpec("payments.refunded", partitions=6, key="order id"),
    # shipping service: OrderShipped, one per order (the shipment is created on OrderConfirmed)
    TopicSpec("shipping.shipped", partitions=6, key="order id"),
    # notification service
    TopicSpec("notifications.send", partitions=3, key="order id"),
)


def dead_letter_topic(spec: TopicSpec) -> TopicSpec:
    """`<topic>.dlq`: one partition (a queue for humans), kept two weeks."""
    return TopicSpec(
        dlq_topic(spec.name), partitions=1, key=spec.key, retention_ms=DLQ_RETENTION_MS
    )


TOPICS: tuple[TopicSpec, ...] = _EVENT_TOPICS + tuple(dead_letter_topic(t) for t in _EVENT_TOPICS)
