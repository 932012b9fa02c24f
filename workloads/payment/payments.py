"""Payments, the payment service's domain: one payment per order, its intents and its ledger.

A charge or a refund is three steps (ADR 0021). (1) `request_charge`/`request_refund` record the
intent — the payment row and a `provider_intents` row keyed by the idempotency key — in the
command's inbox transaction, and commit. (2) The settlement job claims the intent and calls the
provider outside any transaction. (3) `record_charge`/`record_refund` mark the intent settled,
move the payment, write the ledger and return the reply for the outbox, in one transaction.

A crash between (2) and (3) leaves the intent unsettled; its lease runs out and the next round
calls again with the same key, so the provider answers the same charge. A repeated command finds
the payment and answers the first outcome (or nothing while it is pending: the settlement will).
A RefundPayment for an order never charged voids it, so a late charge is refused; one for a
charge still pending waits for that charge to settle, then refunds it if it went through.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

import asyncpg

from workloads.contracts import events as ev
from workloads.payment.provider import ChargeResult, charge_key, refund_key
from workloads.shared.database import Connection, Pool
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.telemetry import trace_headers

CHANNEL = "payment_intents"  # NOTIFY on commit of an intent wakes the settlement job


@dataclass(frozen=True)
class Intent:
    """A call owed to the provider: its idempotency key and the command it answers."""

    key: str
    order_id: str
    operation: str  # "charge" | "refund"
    command: Envelope
    attempts: int
    trace: dict[str, str] = field(default_factory=dict)  # the recording command's trace context


async def request_charge(conn: Connection, cause: Envelope) -> ev.Payload | None:
    """Record the intent to charge; a reply now only if this order's payment was decided."""
    command = cause.read_as(ev.ProcessPayment)
    existing = await conn.fetchrow(
        "SELECT payment_id, status, amount_cents, reason FROM payments WHERE order_id = $1",
        command.order_id,
    )
    if existing is not None:
        return None if existing["status"] == "pending" else _replay(command.order_id, existing)
    payment_id = uuid.uuid4()
    free = command.amount_cents == 0  # nothing to charge: no call, and the provider takes none
    await conn.execute(
        "INSERT INTO payments (order_id, payment_id, status, amount_cents) VALUES ($1, $2, $3, $4)",
        command.order_id,
        payment_id,
        "charged" if free else "pending",
        command.amount_cents,
    )
    if free:
        await conn.execute(
            "INSERT INTO ledger (order_id, kind, amount_cents) VALUES ($1, 'charge', 0)",
            command.order_id,
        )
        return ev.PaymentCompleted(
            order_id=command.order_id, payment_id=str(payment_id), amount_cents=0
        )
    await _intend(conn, charge_key(command.order_id), "charge", cause, command.order_id)
    return None


async def request_refund(conn: Connection, cause: Envelope) -> ev.Payload | None:
    """Record the intent to refund what was (or is being) charged; reply now if nothing was."""
    order_id = cause.read_as(ev.RefundPayment).order_id
    row = await conn.fetchrow(
        "SELECT status FROM payments WHERE order_id = $1 FOR UPDATE", order_id
    )
    if row is None:
        await conn.execute(
            "INSERT INTO payments (order_id, payment_id, status, amount_cents, reason)"
            " VALUES ($1, $2, 'voided', 0, 'refund before charge')",
            order_id,
            uuid.uuid4(),
        )
        return ev.PaymentRefunded(order_id=order_id, amount_cents=0)
    if row["status"] in {"pending", "charged"}:
        await _intend(conn, refund_key(order_id), "refund", cause, order_id)
        return None
    return ev.PaymentRefunded(order_id=order_id, amount_cents=0)


async def _intend(
    conn: Connection, key: str, operation: str, cause: Envelope, order_id: str
) -> None:
    await conn.execute(
        "INSERT INTO provider_intents (idempotency_key, order_id, operation, command,"
        " trace_context) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING",
        key,
        order_id,
        operation,
        cause.to_value(),
        json.dumps(trace_headers()),
    )
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, order_id)


async def claim(pool: Pool, *, lease_s: float, limit: int) -> list[Intent]:
    """Take up to `limit` due intents for `lease_s` (one autocommit statement, no lock kept).

    A refund is not due while its order's charge is unsettled: it needs the charge's outcome.
    """
    rows = await pool.fetch(
        "UPDATE provider_intents SET due_at = now() + make_interval(secs => $1),"
        " attempts = attempts + 1 WHERE idempotency_key IN ("
        "  SELECT i.idempotency_key FROM provider_intents i"
        "  WHERE i.settled_at IS NULL AND i.due_at <= now() AND NOT ("
        "   i.operation = 'refund' AND EXISTS (SELECT 1 FROM provider_intents c"
        "    WHERE c.order_id = i.order_id AND c.operation = 'charge' AND c.settled_at IS NULL))"
        "  ORDER BY i.due_at LIMIT $2 FOR UPDATE SKIP LOCKED)"
        " RETURNING idempotency_key, order_id, operation, command, attempts, trace_context",
        lease_s,
        limit,
    )
    return [
        Intent(r["idempotency_key"], r["order_id"], r["operation"],
               Envelope.from_value(r["command"]), r["attempts"], json.loads(r["trace_context"]))
        for r in rows
    ]  # fmt: skip


async def postpone(pool: Pool, intent: Intent, error: str, *, retry_in_s: float) -> None:
    """The provider gave no answer: try again later with the same key, and keep the error."""
    await pool.execute(
        "UPDATE provider_intents SET last_error = $2, due_at = now() + make_interval(secs => $3)"
        " WHERE idempotency_key = $1 AND settled_at IS NULL",
        intent.key,
        error[:500],
        retry_in_s,
    )


async def unsettled(pool: Pool) -> int:
    count: int = await pool.fetchval(
        "SELECT count(*) FROM provider_intents WHERE settled_at IS NULL"
    )
    return count


async def _settle(conn: Connection, intent: Intent) -> bool:
    """Mark the intent settled; False when another claimer already recorded its answer."""
    settled = await conn.fetchval(
        "UPDATE provider_intents SET settled_at = now(), last_error = NULL"
        " WHERE idempotency_key = $1 AND settled_at IS NULL RETURNING true",
        intent.key,
    )
    return bool(settled)


async def record_charge(
    conn: Connection, intent: Intent, result: ChargeResult | None, *, rejected: str | None = None
) -> ev.Payload | None:
    """The provider's answer to a charge (or its refusal of the request); None if recorded."""
    if not await _settle(conn, intent):
        return None
    order_id = intent.order_id
    row = await conn.fetchrow(
        "SELECT payment_id, status, amount_cents, reason FROM payments WHERE order_id = $1"
        " FOR UPDATE",
        order_id,
    )
    if row is None:
        raise RuntimeError(f"an intent without its payment for order {order_id}")
    if row["status"] != "pending":
        return _replay(order_id, row)
    if result is not None and result.succeeded:
        await conn.execute(
            "UPDATE payments SET status = 'charged', provider_charge_id = $2, updated_at = now()"
            " WHERE order_id = $1",
            order_id,
            result.charge_id,
        )
        await conn.execute(
            "INSERT INTO ledger (order_id, kind, amount_cents) VALUES ($1, 'charge', $2)",
            order_id,
            row["amount_cents"],
        )
        return ev.PaymentCompleted(
            order_id=order_id, payment_id=str(row["payment_id"]), amount_cents=row["amount_cents"]
        )
    if result is not None:
        reason = result.decline_reason or "declined"
    else:
        reason = f"refused by the provider: {rejected}"
    await conn.execute(
        "UPDATE payments SET status = 'declined', reason = $2, updated_at = now()"
        " WHERE order_id = $1",
        order_id,
        reason,
    )
    return ev.PaymentFailed(order_id=order_id, reason=reason)


async def refund_target(pool: Pool, order_id: str) -> tuple[str, int] | None:
    """The provider's charge id and amount to refund; None when nothing was charged."""
    row = await pool.fetchrow(
        "SELECT status, provider_charge_id, amount_cents FROM payments WHERE order_id = $1",
        order_id,
    )
    if row is None or row["status"] != "charged" or row["provider_charge_id"] is None:
        return None
    return str(row["provider_charge_id"]), int(row["amount_cents"])


async def record_refund(conn: Connection, intent: Intent, amount_cents: int) -> ev.Payload | None:
    """The refund is done at the provider (or there was nothing to refund); None if recorded."""
    if not await _settle(conn, intent):
        return None
    order_id = intent.order_id
    status = await conn.fetchval(
        "SELECT status FROM payments WHERE order_id = $1 FOR UPDATE", order_id
    )
    if amount_cents == 0 or status != "charged":
        return ev.PaymentRefunded(order_id=order_id, amount_cents=0)
    await conn.execute(
        "UPDATE payments SET status = 'refunded', updated_at = now() WHERE order_id = $1", order_id
    )
    await conn.execute(
        "INSERT INTO ledger (order_id, kind, amount_cents) VALUES ($1, 'refund', $2)",
        order_id,
        -amount_cents,
    )
    return ev.PaymentRefunded(order_id=order_id, amount_cents=amount_cents)


def _replay(order_id: str, row: asyncpg.Record) -> ev.Payload:
    status = row["status"]
    if status in {"charged", "refunded"}:
        return ev.PaymentCompleted(
            order_id=order_id, payment_id=str(row["payment_id"]), amount_cents=row["amount_cents"]
        )
    return ev.PaymentFailed(order_id=order_id, reason=str(row["reason"] or status))


async def find(conn: Connection, order_id: str) -> asyncpg.Record | None:
    """The order's payment row; None when the order never reached payment."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT order_id, payment_id::text, status, amount_cents, reason, provider_charge_id"
        " FROM payments WHERE order_id = $1",
        order_id,
    )
    return row


async def ledger_of(conn: Connection, order_id: str) -> list[asyncpg.Record]:
    """The order's money movements, oldest first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT kind, amount_cents FROM ledger WHERE order_id = $1 ORDER BY id", order_id
    )
    return rows


async def ledger_totals(conn: Connection) -> asyncpg.Record:
    """Counts and sums over the whole ledger (an aggregate: always one row)."""
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE kind = 'charge') AS charges,"
        " count(*) FILTER (WHERE kind = 'refund') AS refunds,"
        " coalesce(sum(amount_cents) FILTER (WHERE kind = 'charge'), 0) AS charged_cents,"
        " coalesce(-sum(amount_cents) FILTER (WHERE kind = 'refund'), 0) AS refunded_cents,"
        " coalesce(sum(amount_cents), 0) AS net_cents FROM ledger"
    )
    if row is None:
        raise RuntimeError("an aggregate query returned no row")
    return row
