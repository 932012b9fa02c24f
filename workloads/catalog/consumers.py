"""What the catalog consumes: inventory's price and stock, and its own changes to invalidate.

One consumer group (`catalog`), each handler in the consumer's transaction with its inbox claim:
- `ProductStocked` (inventory.products): the browse model keeps inventory's price and stock; a
  listed product that changed is announced as `ProductUpdated` through the outbox;
- `ProductUpdated` (catalog.products): the cached views the change touches are dropped in Redis
  (`handlers.invalidate`), or parked in this transaction when Redis cannot take it.
One group means one replica handles each change; Redis is shared, so once is enough.
"""

from __future__ import annotations

from collections.abc import Sequence

from workloads.catalog import handlers
from workloads.contracts import events as ev
from workloads.shared.cache_aside import CacheAside
from workloads.shared.database import Connection
from workloads.shared.messaging.consumer import EventConsumer, Reads, Subscription
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.runtime import ConsumerFactory, Runtime

STOCKED = Reads("ProductStocked", frozenset({1}), ev.ProductStocked)
UPDATED = Reads("ProductUpdated", frozenset({1}), ev.ProductUpdated)
READS = {"catalog": [STOCKED, UPDATED]}


def builder(cache: CacheAside) -> ConsumerFactory:
    """The consumers of a catalog process whose cache is `cache`."""

    def build(runtime: Runtime) -> Sequence[EventConsumer]:
        async def on_stocked(conn: Connection, envelope: Envelope) -> None:
            await handlers.apply_stock(conn, envelope.read_as(ev.ProductStocked), cause=envelope)

        async def on_updated(conn: Connection, envelope: Envelope) -> None:
            await handlers.invalidate(conn, envelope.read_as(ev.ProductUpdated), cache=cache)

        return [
            runtime.consumer(
                "catalog", [Subscription(STOCKED, on_stocked), Subscription(UPDATED, on_updated)]
            )
        ]

    return build
