"""What inventory consumes: the saga's commands, and confirmations that make holds permanent."""

from __future__ import annotations

from collections.abc import Sequence

from workloads.contracts import events as ev
from workloads.inventory import stock
from workloads.inventory.settings import InventorySettings
from workloads.shared.database import Connection
from workloads.shared.messaging import outbox
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
        reply = await stock.reserve(
            conn, command.order_id, command.items, settings.reservation_ttl_s
        )
        await outbox.append(conn, envelope.follow_up(reply), key=command.order_id)

    async def on_release(conn: Connection, envelope: Envelope) -> None:
        command = envelope.read_as(ev.ReleaseInventory)
        reply = await stock.release(conn, command.order_id)
        await outbox.append(conn, envelope.follow_up(reply), key=command.order_id)

    async def on_confirmed(conn: Connection, envelope: Envelope) -> None:
        await stock.commit(conn, envelope.read_as(ev.OrderConfirmedV1).order_id)

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
