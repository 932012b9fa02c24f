"""What inventory consumes: the saga's commands, and confirmations that make holds permanent.

Each handler runs in the consumer's transaction with its inbox claim
(`workloads.shared.messaging.consumer`); replies go out through the outbox in the same commit.
"""

from __future__ import annotations

from collections.abc import Sequence

from workloads.contracts import events as ev
from workloads.inventory import handlers
from workloads.inventory.settings import InventorySettings
from workloads.shared.database import Connection
from workloads.shared.messaging.consumer import EventConsumer, Reads, Subscription
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.runtime import Runtime

RESERVE = Reads("ReserveInventory", frozenset({1}), ev.ReserveInventory)
RELEASE = Reads("ReleaseInventory", frozenset({1}), ev.ReleaseInventory)
CONFIRMED = Reads("OrderConfirmed", frozenset({1, 2}), ev.OrderConfirmedV1)
READS = {"inventory": [RESERVE, RELEASE, CONFIRMED]}


def build(runtime: Runtime) -> Sequence[EventConsumer]:
    settings = runtime.settings
    if not isinstance(settings, InventorySettings):
        raise TypeError("the inventory consumers need InventorySettings")

    async def on_reserve(conn: Connection, envelope: Envelope) -> None:
        command = envelope.read_as(ev.ReserveInventory)
        await handlers.reserve(conn, command, cause=envelope, ttl_s=settings.reservation_ttl_s)

    async def on_release(conn: Connection, envelope: Envelope) -> None:
        await handlers.release(conn, envelope.read_as(ev.ReleaseInventory), cause=envelope)

    async def on_confirmed(conn: Connection, envelope: Envelope) -> None:
        await handlers.keep_for_confirmed(conn, envelope.read_as(ev.OrderConfirmedV1))

    return [
        runtime.consumer(
            "inventory",
            [
                Subscription(RESERVE, on_reserve),
                Subscription(RELEASE, on_release),
                Subscription(CONFIRMED, on_confirmed),
            ],
        )
    ]
