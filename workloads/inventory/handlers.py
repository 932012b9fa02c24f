"""The inventory service layer: each command's stock change and its reply commit together.

Every handler runs in one transaction: the stock change (`stock.py`) and the event announcing it
(outbox) commit together or not at all. Handlers called by the consumer run in its transaction
with the inbox claim, so a redelivered command changes nothing; a failure rolls everything back
and the consumer retries. Errors a client can act on are raised as `ProblemError`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from workloads.contracts import events as ev
from workloads.inventory import stock
from workloads.inventory.schemas import PRODUCT_ID, StockIn, StockLevel, StockView
from workloads.shared.database import Connection, Pool, transaction
from workloads.shared.messaging import outbox
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.problems import ProblemError

log = logging.getLogger(__name__)
BATCH_LOCK_WAIT_S = 60.0  # a batch queues this long for its products (lock_for_batch)


async def get_stock(pool: Pool, product_id: str) -> StockView:
    """The product's stock; 404 when it is unknown."""
    async with pool.acquire() as conn:
        row = await stock.level(conn, product_id)
    if row is None:
        raise ProblemError(404, "Product not found", f"No product {product_id}.")
    return StockView(**dict(row))


async def set_stock(
    pool: Pool, product_id: str, level: StockIn, *, correlation_id: str
) -> StockLevel:
    """Set a product's stock and price, and announce it (`ProductStocked`); 422 for a bad id."""
    if not re.fullmatch(PRODUCT_ID, product_id):
        raise ProblemError(422, "Invalid product id", f"Product ids match {PRODUCT_ID}.")
    async with transaction(pool) as conn:
        await stock.set_level(
            conn, product_id, available=level.available, price_cents=level.price_cents
        )
        stocked = ev.ProductStocked(
            product_id=product_id, price_cents=level.price_cents, available=level.available
        )
        envelope = Envelope.wrap(stocked, correlation_id=correlation_id)
        await outbox.append(conn, envelope, key=product_id)
    return StockLevel(product_id=product_id, **level.model_dump())


async def reserve(
    conn: Connection, command: ev.ReserveInventory, *, cause: Envelope, ttl_s: float
) -> None:
    """Hold every line or none, and answer InventoryReserved or InventoryReservationFailed."""
    reply = await stock.reserve(conn, command.order_id, command.items, ttl_s)
    await outbox.append(conn, cause.follow_up(reply), key=command.order_id)


async def fail_reservation(
    conn: Connection, command: ev.ReserveInventory, *, cause: Envelope, reason: str
) -> None:
    """Answer InventoryReservationFailed without touching stock (an injected inventory error)."""
    reply = ev.InventoryReservationFailed(order_id=command.order_id, reason=reason)
    await outbox.append(conn, cause.follow_up(reply), key=command.order_id)


async def release(conn: Connection, command: ev.ReleaseInventory, *, cause: Envelope) -> None:
    """Give back what the order holds, and answer InventoryReleased."""
    reply = await stock.release(conn, command.order_id)
    await outbox.append(conn, cause.follow_up(reply), key=command.order_id)


async def keep_for_confirmed(conn: Connection, order: ev.OrderConfirmedV1) -> None:
    """A confirmed order's reservation stops expiring."""
    await stock.commit(conn, order.order_id)


async def note_cancelled(conn: Connection, order: ev.OrderCancelled) -> None:
    """The order's saga cancelled it: whatever it still holds may be released when it expires."""
    await stock.note_cancelled(conn, order.order_id, order.reason)


async def lock_for_batch(
    conn: Connection, *, products: Iterable[str], releasing: Iterable[str]
) -> None:
    """Before a batch of commands: lock every product it will change, in one global order.

    Batches of different partitions touching one hot product queue here for its lock, each for
    as long as the batches ahead take; after a broker outage (a backlog: batches of a hundred
    commands) that is longer than a statement may take. Waiting up to `BATCH_LOCK_WAIT_S` keeps
    the batch; timing out threw it away and applied it one command at a time, the slow path,
    just when a backlog has to drain (chaos kafka_stop).
    """
    await stock.lock_products(conn, products, releasing=releasing, wait_s=BATCH_LOCK_WAIT_S)


async def release_expired(pool: Pool, *, limit: int = 100) -> int:
    """Release the expired reservations of up to `limit` orders seen cancelled; returns how many.

    Only an order whose saga inventory has seen cancel (`OrderCancelled`) is released here: any
    other order may be paid and confirmed in a confirmation not applied yet, and releasing it would
    sell its units twice; those are `overdue`, reported and kept. Products are locked in id order
    before the reservations (`stock` says why), and `FOR UPDATE SKIP LOCKED` lets every replica
    run this at once.
    """
    async with transaction(pool) as conn:
        due = await stock.cancelled_past_expiry(conn, limit)
        if not due:
            return 0
        await stock.lock_products(conn, (), releasing=due)
        expired = await stock.claim_expired(conn, due)
        for order_id in expired:
            reply = await stock.release(conn, order_id)
            log.warning("reservation of cancelled order %s expired and was released", order_id)
            envelope = Envelope.wrap(reply, correlation_id=f"expiry-{order_id}")
            await outbox.append(conn, envelope, key=order_id)
    return len(expired)


async def overdue(pool: Pool, *, limit: int = 100) -> stock.Overdue:
    """Orders holding stock past expiry that inventory has not seen cancelled (kept, reported)."""
    async with pool.acquire() as conn:
        return await stock.overdue(conn, limit)
