"""The read side's projector: the event store folded into `customer_orders` (ADR 0035).

Guarantee: every event committed to `order_events` reaches the read model, at least once, in a
bounded time, and the read model only ever moves forward. The projector reads the event store as
its notification log, by the id of the transaction that wrote each event, up to the horizon below
which every transaction has ended (`adapters.customer_orders.horizon`): an event committed late
under a lower id is never skipped. For each order a batch touches it folds the order's whole
history into one row (`domain.summaries`) and writes it only over a lower version, so a batch run
twice, or two replicas, or a rebuild racing the live projector, converge on the same rows.

An order whose stored history does not fold (an event its fold cannot read: only a bug or a
hand-written row can put one there) is left out of that round's rows, logged with its id and
counted (`conveyor_projection_orders_skipped_total`); every other order of the batch is
projected and the checkpoint moves on, so one bad history never stalls the read side or stops
the order service. It is projected again the next time one of its events is written, or by a
rebuild once fixed.

Failure behaviour: a batch is one transaction with the checkpoint row locked (`SKIP LOCKED`: one
replica projects at a time, the others skip the round); an error rolls it back and the next round
retries it. A long transaction anywhere on the PostgreSQL server holds the horizon back: that is
lag (`conveyor_projection_lag_seconds`), never a lost event.

`rebuild` replaces every row from the history in one transaction (readers see the old rows until
it commits) and moves the checkpoint to its own horizon: `conveyor projections rebuild orders`.
"""

from __future__ import annotations

import asyncio
import logging

from workloads.order import metrics
from workloads.order.adapters import customer_orders as store
from workloads.order.domain.order import OrderEvent
from workloads.order.domain.summaries import OrderSummary, summarise
from workloads.shared.database import UNREACHABLE, Connection, Pool, transaction

log = logging.getLogger(__name__)
BATCH = 500  # events per catch-up round
REBUILD_CHUNK = 1000  # orders per rebuild step


def _summaries(histories: dict[str, list[OrderEvent]]) -> list[OrderSummary]:
    """The summary of each order whose history folds; the others logged, counted, left out."""
    rows = []
    for order_id, events in histories.items():
        try:
            summary = summarise(order_id, events)
        except (KeyError, TypeError, ValueError):  # what a fold raises on unreadable data
            metrics.unfoldable_orders.labels(store.PROJECTION).inc()
            log.exception("projection %s leaves out order %s", store.PROJECTION, order_id)
            continue
        if summary is not None:
            rows.append(summary)
    return rows


async def _project(conn: Connection, order_ids: list[str]) -> int:
    rows = _summaries(await store.histories(conn, sorted(set(order_ids))))
    await store.upsert(conn, rows)
    return len(rows)


async def catch_up(pool: Pool, *, batch: int = BATCH) -> int:
    """One round: project what was committed since the checkpoint; returns orders written."""
    async with transaction(pool) as conn:
        watermark = await store.claim_checkpoint(conn)
        if watermark is None:
            return 0  # another replica is projecting right now
        until = await store.horizon(conn)
        rows = await store.touched(conn, watermark, until, batch)
        if len(rows) < batch:
            order_ids, reached = [r["order_id"] for r in rows], until
        elif rows[-1]["tx"] > watermark:  # a full batch: the last transaction may go on
            reached = rows[-1]["tx"]
            order_ids = [r["order_id"] for r in rows if r["tx"] < reached]
        else:  # one transaction wrote more than a batch: take all of it
            order_ids, reached = await store.touched_by(conn, watermark), watermark + 1
        written = await _project(conn, order_ids)
        if reached != watermark:
            await store.advance(conn, reached)
    if written:
        metrics.projected_orders.labels(store.PROJECTION).inc(written)
    return written


async def rebuild(pool: Pool) -> int:
    """Throw the read model away and fold it again from every history; returns orders written."""
    written = 0
    async with transaction(pool) as conn:
        await store.lock_checkpoint(conn)
        until = await store.horizon(conn)
        await store.clear(conn)
        after = ""
        while order_ids := await store.order_ids_after(conn, after, REBUILD_CHUNK):
            written += await _project(conn, order_ids)
            after = order_ids[-1]
        await store.advance(conn, until)
    log.info("projection %s rebuilt: %d orders", store.PROJECTION, written)
    return written


async def rows(pool: Pool) -> list[OrderSummary]:
    """The read model as it is now, by order id."""
    async with pool.acquire() as conn:
        return [OrderSummary(**dict(r)) for r in await store.all_rows(conn)]


async def run(pool: Pool, *, interval_s: float) -> None:
    """Project forever: a round whenever the last found nothing more to do, and the lag gauge."""
    gauge = metrics.projection_lag.labels(store.PROJECTION)
    while True:
        try:
            written = await catch_up(pool)
            async with pool.acquire() as conn:
                gauge.set(await store.lag_s(conn))
        except UNREACHABLE as exc:  # the database away: wait for it, the lag grows meanwhile
            log.warning("projection round failed: %r", exc)
            written = 0
        if not written:
            await asyncio.sleep(interval_s)
