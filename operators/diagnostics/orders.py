"""An order as its database holds it, read-only: the row, the event history, unsent messages.

Every read runs in a session with `default_transaction_read_only=on`, so this module cannot
change an order even by mistake (PostgreSQL refuses the write). It uses the order service's own
role, which the local stack created; nothing here needs an admin login. A database that does not
answer raises `OrdersUnavailableError` naming the address and the command that starts it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from workloads.order.domain.order import Status

TERMINAL = (Status.CONFIRMED.value, Status.CANCELLED.value, Status.SHIPPED.value)
CONNECT_TIMEOUT_S = 5.0


class OrdersUnavailableError(RuntimeError):
    """The order database could not be reached."""


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    type: str
    data: dict[str, Any]
    occurred_at: datetime


@dataclass(frozen=True)
class PendingMessage:
    """A row still in the order service's outbox: written, not yet on Kafka."""

    topic: str
    event_type: str
    created_at: datetime
    headers: dict[str, str]


@dataclass(frozen=True)
class OrderRecord:
    order_id: str
    status: str
    step: str | None
    created_at: datetime
    updated_at: datetime
    deadline: datetime | None
    attention_reason: str | None
    events: tuple[StoredEvent, ...]
    unsent: tuple[PendingMessage, ...]
    now: datetime  # the database's clock when read: ages are measured against it


@dataclass(frozen=True)
class OpenOrder:
    order_id: str
    status: str
    step: str | None
    age_s: float
    idle_s: float  # since the last change


async def _connect(dsn: str, address: str) -> asyncpg.Connection:
    try:
        conn: asyncpg.Connection = await asyncpg.connect(
            dsn,
            timeout=CONNECT_TIMEOUT_S,
            server_settings={"default_transaction_read_only": "on"},
        )
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        raise OrdersUnavailableError(
            f"the order database at {address} did not answer ({type(exc).__name__}: {exc}); "
            "is the stack up? `conveyor local up` starts it"
        ) from exc
    return conn


async def read_order(dsn: str, order_id: str, *, address: str) -> OrderRecord | None:
    """The order with its history and unsent messages; None when no such order exists."""
    conn = await _connect(dsn, address)
    try:
        row = await conn.fetchrow(
            "SELECT order_id, status, saga_step, created_at, updated_at, deadline,"
            " snapshot->>'attention_reason' AS attention_reason, now() AS now"
            " FROM orders WHERE order_id = $1",
            order_id,
        )
        if row is None:
            return None
        events = await conn.fetch(
            "SELECT seq, event_type, data, occurred_at FROM order_events"
            " WHERE order_id = $1 ORDER BY seq",
            order_id,
        )
        unsent = await conn.fetch(
            "SELECT topic, headers, created_at FROM outbox WHERE key = $1 ORDER BY id", order_id
        )
    finally:
        await conn.close()
    return OrderRecord(
        order_id=row["order_id"],
        status=row["status"],
        step=row["saga_step"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        deadline=row["deadline"],
        attention_reason=row["attention_reason"],
        events=tuple(
            StoredEvent(e["seq"], e["event_type"], json.loads(e["data"]), e["occurred_at"])
            for e in events
        ),
        unsent=tuple(
            PendingMessage(
                u["topic"],
                (headers := json.loads(u["headers"])).get("event_type", "?"),
                u["created_at"],
                headers,
            )
            for u in unsent
        ),
        now=row["now"],
    )


async def open_orders(dsn: str, *, older_than_s: float, address: str) -> list[OpenOrder]:
    """Orders not in a terminal state accepted more than `older_than_s` ago, oldest first."""
    conn = await _connect(dsn, address)
    try:
        rows = await conn.fetch(
            "SELECT order_id, status, saga_step,"
            " extract(epoch FROM now() - created_at) AS age_s,"
            " extract(epoch FROM now() - updated_at) AS idle_s"
            " FROM orders WHERE status <> ALL($1::text[])"
            " AND created_at < now() - make_interval(secs => $2)"
            " ORDER BY created_at LIMIT 1000",
            list(TERMINAL),
            older_than_s,
        )
    finally:
        await conn.close()
    return [
        OpenOrder(r["order_id"], r["status"], r["saga_step"], float(r["age_s"]), float(r["idle_s"]))
        for r in rows
    ]
