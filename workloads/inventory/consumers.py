"""What inventory consumes: the saga's commands, and the saga's outcomes as they affect holds.

Each handler runs in the consumer's transaction with its inbox claim
(`workloads.shared.messaging.consumer`); replies go out through the outbox in the same commit.
A reservation may fail on purpose when the `fault.inventory.error-rate` flag says so (failure
injection; never in production unless the pipeline allows it). `OrderConfirmed` makes a hold
permanent; `OrderCancelled` is what lets an expired hold be released
(nothing else does: `handlers.release_expired`).

A batch of records of one partition is applied in one transaction, and batches of different
partitions run at once; so before a batch, `lock_batch` locks every product its commands will
change in product id order, in one statement. Without it two batches taking the same hot products
in different orders deadlock, and PostgreSQL rolls one back.
"""

from __future__ import annotations

from collections.abc import Sequence

from workloads.contracts import events as ev
from workloads.inventory import handlers
from workloads.inventory.settings import InventorySettings
from workloads.shared.database import Connection
from workloads.shared.flags.names import INVENTORY_ERROR_RATE
from workloads.shared.messaging.consumer import EventConsumer, Reads, Subscription
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.runtime import Runtime

RESERVE = Reads("ReserveInventory", frozenset({1}), ev.ReserveInventory)
RELEASE = Reads("ReleaseInventory", frozenset({1}), ev.ReleaseInventory)
CONFIRMED = Reads("OrderConfirmed", frozenset({1, 2}), ev.OrderConfirmedV1)
CANCELLED = Reads("OrderCancelled", frozenset({1}), ev.OrderCancelled)
INJECTED = "inventory error (injected by fault.inventory.error-rate)"
READS = {"inventory": [RESERVE, RELEASE, CONFIRMED, CANCELLED]}


def touched(envelopes: Sequence[Envelope]) -> tuple[set[str], set[str]]:
    """What a batch will change: the products its reservations take, the orders it releases.

    A payload that does not read raises here, and the batch falls back to one record at a time,
    as it would without this look-ahead.
    """
    products: set[str] = set()
    releasing: set[str] = set()
    for envelope in envelopes:
        if envelope.event_type == RESERVE.message_type:
            command = envelope.read_as(ev.ReserveInventory)
            products.update(line.product_id for line in command.items)
        elif envelope.event_type == RELEASE.message_type:
            releasing.add(envelope.read_as(ev.ReleaseInventory).order_id)
    return products, releasing


async def lock_batch(conn: Connection, envelopes: Sequence[Envelope]) -> None:
    products, releasing = touched(envelopes)
    if products or releasing:
        await handlers.lock_for_batch(conn, products=products, releasing=releasing)


def build(runtime: Runtime) -> Sequence[EventConsumer]:
    settings = runtime.settings
    if not isinstance(settings, InventorySettings):
        raise TypeError("the inventory consumers need InventorySettings")

    async def on_reserve(conn: Connection, envelope: Envelope) -> None:
        command = envelope.read_as(ev.ReserveInventory)
        if runtime.flags.happens(INVENTORY_ERROR_RATE):  # failure injection (a flag)
            await handlers.fail_reservation(conn, command, cause=envelope, reason=INJECTED)
            return
        await handlers.reserve(conn, command, cause=envelope, ttl_s=settings.reservation_ttl_s)

    async def on_release(conn: Connection, envelope: Envelope) -> None:
        await handlers.release(conn, envelope.read_as(ev.ReleaseInventory), cause=envelope)

    async def on_confirmed(conn: Connection, envelope: Envelope) -> None:
        await handlers.keep_for_confirmed(conn, envelope.read_as(ev.OrderConfirmedV1))

    async def on_cancelled(conn: Connection, envelope: Envelope) -> None:
        await handlers.note_cancelled(conn, envelope.read_as(ev.OrderCancelled))

    return [
        runtime.consumer(
            "inventory",
            [
                Subscription(RESERVE, on_reserve),
                Subscription(RELEASE, on_release),
                Subscription(CONFIRMED, on_confirmed),
                Subscription(CANCELLED, on_cancelled),
            ],
            before_batch=lock_batch,
        )
    ]
