"""The order's storage: its event store (`order_events`) and its snapshot row (`orders`).

Writes happen only through `save`, inside the caller's transaction, so events, snapshot and step
deadline commit together with the outbox rows the service layer appends. The (order_id, seq)
primary key of the event store rejects a second writer of the same version even if the row lock
(`load(..., lock=True)`) were forgotten.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

import asyncpg

from workloads.order.domain.order import OrderEvent, OrderState, fold
from workloads.shared.database import Connection

# The snapshot and the events after it (none, unless an order was parked) in one round trip.
_LOAD = (
    "SELECT o.snapshot, e.event_type, e.data FROM orders o LEFT JOIN order_events e"
    " ON e.order_id = o.order_id AND e.seq > (o.snapshot->>'version')::int"
    " WHERE o.order_id = $1 ORDER BY e.seq"
)
_LOAD_LOCKED = _LOAD + " FOR UPDATE OF o"
# The events and the snapshot row in one statement: one round trip per saga step.
_SAVE = (
    "WITH appended AS (INSERT INTO order_events (order_id, seq, event_type, data)"
    " SELECT $1, $7 - cardinality($9::text[]) + n, t, d::jsonb"
    " FROM unnest($9::text[], $10::text[]) WITH ORDINALITY AS e(t, d, n))"
    " INSERT INTO orders (order_id, customer_id, status, saga_step, total_cents, snapshot,"
    " version, deadline, trace_context) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $11::jsonb)"
    " ON CONFLICT (order_id) DO UPDATE SET status = $3, saga_step = $4, snapshot = $6,"
    " version = $7, deadline = $8, awaiting_send = false, sweep_errors = 0,"
    " updated_at = now(), trace_context = CASE WHEN $11::jsonb = '{}'::jsonb"
    " THEN orders.trace_context ELSE $11::jsonb END"
)


async def load(conn: Connection, order_id: str, *, lock: bool) -> OrderState | None:
    """The order's state (snapshot plus newer events); `lock` holds its row until commit."""
    rows = await conn.fetch(_LOAD_LOCKED if lock else _LOAD, order_id)
    if not rows:
        return None
    snapshot = OrderState.from_snapshot(json.loads(rows[0]["snapshot"]))
    newer = [
        OrderEvent(r["event_type"], json.loads(r["data"]))
        for r in rows
        if r["event_type"] is not None
    ]
    return fold(order_id, newer, snapshot)


async def save(
    conn: Connection,
    before: OrderState,
    events: Sequence[OrderEvent],
    after: OrderState,
    *,
    deadline: datetime | None,
    trace_context: Mapping[str, str] | None = None,
) -> None:
    """Append `events` after `before`'s version and store `after` as the snapshot.

    `trace_context` (the advancing work's `traceparent`/`tracestate`) replaces the stored one;
    none keeps it, so the order's trace can be continued by work that has no message to carry it.
    """
    if after.version != before.version + len(events):
        raise ValueError(f"order {after.order_id}: version {after.version} after {len(events)}"
                         f" events on version {before.version}")  # fmt: skip
    await conn.execute(
        _SAVE,
        after.order_id,
        after.customer_id,
        after.status.value,
        after.step.value if after.step else None,
        after.total_cents,
        json.dumps(after.to_snapshot()),
        after.version,
        deadline,
        [e.type for e in events],
        [json.dumps(e.data) for e in events],
        json.dumps(dict(trace_context or {})),
    )


async def read_model(conn: Connection, order_id: str) -> asyncpg.Record | None:
    """The order's row as readers see it (no lock)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT order_id, customer_id, status, saga_step, total_cents, snapshot, version,"
        " created_at, updated_at FROM orders WHERE order_id = $1",
        order_id,
    )
    return row


async def history(conn: Connection, order_id: str) -> list[asyncpg.Record]:
    """Every stored event of the order, in order (empty for an unknown order)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT seq, event_type, data, occurred_at FROM order_events"
        " WHERE order_id = $1 ORDER BY seq",
        order_id,
    )
    return rows


async def claim_overdue(conn: Connection, limit: int) -> list[asyncpg.Record]:
    """Orders past their step deadline, oldest first, locked; rows locked elsewhere are skipped.

    `unsent` tells whether a message of the order still waits in this database's outbox (every
    message of an order is keyed by its id; the outbox is published in commit order, so an
    unsent row means the step's command has not left either).
    """
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT order_id, saga_step, awaiting_send, sweep_errors, trace_context,"
        " extract(epoch FROM now() - updated_at)::float8 AS waited_s,"
        " EXISTS (SELECT 1 FROM outbox WHERE outbox.key = orders.order_id) AS unsent"
        " FROM orders WHERE deadline < now()"
        " ORDER BY deadline LIMIT $1 FOR UPDATE OF orders SKIP LOCKED",
        limit,
    )
    return rows


async def restart_clocks(conn: Connection, step_timeout_s: float) -> int:
    """Every waiting step gets at least a full step timeout from now; returns how many moved.

    Rows a consumer holds right now are skipped: the decision it is making sets a new deadline.
    """
    result: str = await conn.execute(
        "UPDATE orders SET deadline = now() + make_interval(secs => $1) WHERE order_id IN"
        " (SELECT order_id FROM orders WHERE deadline < now() + make_interval(secs => $1)"
        " FOR UPDATE SKIP LOCKED)",
        step_timeout_s,
    )
    return int(result.rsplit(maxsplit=1)[-1])


async def defer(conn: Connection, order_id: str, *, wait_s: float, awaiting_send: bool) -> None:
    """Move a claimed order's deadline `wait_s` from now without a step decision."""
    await conn.execute(
        "UPDATE orders SET deadline = now() + make_interval(secs => $2), awaiting_send = $3"
        " WHERE order_id = $1",
        order_id,
        wait_s,
        awaiting_send,
    )


async def record_sweep_error(conn: Connection, order_id: str, *, wait_s: float) -> int:
    """Count one failed sweep of the order and retry it `wait_s` from now; returns the count."""
    errors: int = await conn.fetchval(
        "UPDATE orders SET sweep_errors = sweep_errors + 1,"
        " deadline = now() + make_interval(secs => $2) WHERE order_id = $1"
        " RETURNING sweep_errors",
        order_id,
        wait_s,
    )
    return errors


async def park(conn: Connection, order_id: str, *, step: str | None, reason: str) -> None:
    """Park an order the service layer cannot load: NEEDS_ATTENTION on the row and in history.

    Written without folding the history (which is what failed): the event goes after the last
    stored one, the row's status, reason and version follow, and it is no longer swept.
    """
    data = json.dumps({"step": step, "reason": reason})
    await conn.execute(
        "INSERT INTO order_events (order_id, seq, event_type, data)"
        " SELECT $1, coalesce(max(seq), 0) + 1, 'NeedsAttention', $2"
        " FROM order_events WHERE order_id = $1",
        order_id,
        data,
    )
    await conn.execute(
        "UPDATE orders SET status = 'NEEDS_ATTENTION', deadline = NULL,"
        " version = (SELECT max(seq) FROM order_events WHERE order_id = $1),"
        " snapshot = jsonb_set(snapshot, '{attention_reason}', to_jsonb($2::text)),"
        " updated_at = now() WHERE order_id = $1",
        order_id,
        reason,
    )


async def open_orders(conn: Connection) -> tuple[int, float]:
    """(how many orders are open, the oldest one's age in seconds, 0 when none).

    Open: not CONFIRMED, CANCELLED or SHIPPED; the saga (or a person, for NEEDS_ATTENTION) still
    owes an end. The predicate is spelled as the partial index's (migration 0003) so it is used.
    """
    row = await conn.fetchrow(
        "SELECT count(*) AS open,"
        " COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest"
        " FROM orders WHERE status IN ('PENDING', 'CANCELLING', 'NEEDS_ATTENTION')"
    )
    if row is None:  # pragma: no cover - an aggregate always answers one row
        return 0, 0.0
    return int(row["open"]), float(row["oldest"])


async def count_needing_attention(conn: Connection) -> int:
    """How many orders are parked as NEEDS_ATTENTION (a partial index keeps this cheap)."""
    count: int = await conn.fetchval("SELECT count(*) FROM orders WHERE status = 'NEEDS_ATTENTION'")
    return count
