"""Load, decide and persist an order in one transaction: the saga's unit of work.

`SELECT … FOR UPDATE` on the order's row serialises everything that touches one order (replies
from different topics, the timeout sweeper, a customer's cancel), and the (order_id, seq) primary
key of the event store would reject a second writer even if that lock were forgotten.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from workloads.order.domain.order import OrderEvent, OrderState, fold
from workloads.order.domain.saga import Decision, Trigger, decide
from workloads.shared import metrics
from workloads.shared.database import Connection
from workloads.shared.messaging import outbox
from workloads.shared.messaging.envelope import Envelope

_LOAD = "SELECT snapshot, version FROM orders WHERE order_id = $1"
_LOAD_LOCKED = _LOAD + " FOR UPDATE"


async def load(conn: Connection, order_id: str, *, lock: bool) -> OrderState | None:
    row = await conn.fetchrow(_LOAD_LOCKED if lock else _LOAD, order_id)
    if row is None:
        return None
    snapshot = OrderState.from_snapshot(json.loads(row["snapshot"]))
    newer = await conn.fetch(
        "SELECT event_type, data FROM order_events WHERE order_id = $1 AND seq > $2 ORDER BY seq",
        order_id,
        snapshot.version,
    )
    return fold(
        order_id, [OrderEvent(r["event_type"], json.loads(r["data"])) for r in newer], snapshot
    )


async def history(conn: Connection, order_id: str) -> list[dict[str, object]]:
    rows = await conn.fetch(
        "SELECT seq, event_type, data, occurred_at FROM order_events"
        " WHERE order_id = $1 ORDER BY seq",
        order_id,
    )
    return [
        {
            "seq": r["seq"],
            "type": r["event_type"],
            "data": _redacted(json.loads(r["data"])),
            "occurred_at": r["occurred_at"].isoformat(),
        }
        for r in rows
    ]


def _redacted(data: dict[str, object]) -> dict[str, object]:
    """Payment instruments stay in the event store; they are never served back."""
    return {k: ("[redacted]" if k == "card_token" else v) for k, v in data.items()}


async def handle(
    conn: Connection,
    state: OrderState,
    trigger: Trigger,
    *,
    cause: Envelope | None,
    correlation_id: str,
    step_timeout_s: float,
) -> Decision:
    """Decide and persist: events, snapshot, deadline and outgoing messages, atomically."""
    decision = decide(state, trigger)
    if not decision.events:
        return decision
    new_state = decision.state_after(state)
    await conn.executemany(
        "INSERT INTO order_events (order_id, seq, event_type, data) VALUES ($1, $2, $3, $4)",
        [
            (state.order_id, state.version + i + 1, e.type, json.dumps(e.data))
            for i, e in enumerate(decision.events)
        ],
    )
    deadline = datetime.now(UTC) + timedelta(seconds=step_timeout_s) if new_state.step else None
    await conn.execute(
        "INSERT INTO orders (order_id, customer_id, status, saga_step, total_cents, snapshot,"
        " version, deadline) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (order_id) DO UPDATE SET status = $3, saga_step = $4, snapshot = $6,"
        " version = $7, deadline = $8, updated_at = now()",
        new_state.order_id,
        new_state.customer_id,
        new_state.status.value,
        new_state.step.value if new_state.step else None,
        new_state.total_cents,
        json.dumps(new_state.to_snapshot()),
        new_state.version,
        deadline,
    )
    for message in decision.messages:
        envelope = (
            cause.follow_up(message)
            if cause is not None
            else Envelope.wrap(message, correlation_id=correlation_id)
        )
        await outbox.append(conn, envelope, key=state.order_id)
    if decision.outcome and new_state.placed_at:
        elapsed = time.time() - new_state.placed_at.timestamp()
        metrics.saga_outcomes.labels(decision.outcome).inc()
        metrics.saga_duration.labels(decision.outcome).observe(max(elapsed, 0.0))
    return decision
