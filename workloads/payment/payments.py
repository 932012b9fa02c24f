"""Payments, the payment service's domain: charge and refund, idempotent per order, with every
money movement in the ledger.

A repeated ProcessPayment for an order answers with the first outcome and charges nothing. A
RefundPayment for an order never charged records it as voided, so a charge that arrived later
(it cannot, commands share a partition, but a DLQ redrive could) is refused.
"""

from __future__ import annotations

import uuid

import asyncpg

from workloads.contracts import events as ev
from workloads.payment import provider
from workloads.payment.settings import PaymentSettings
from workloads.shared.database import Connection


async def charge(
    conn: Connection, command: ev.ProcessPayment, settings: PaymentSettings
) -> ev.Payload:
    existing = await conn.fetchrow(
        "SELECT payment_id, status, amount_cents, reason FROM payments WHERE order_id = $1",
        command.order_id,
    )
    if existing is not None:
        return _replay(command.order_id, existing)
    declined = await provider.authorise(settings, command.card_token)
    payment_id = uuid.uuid4()
    status = "declined" if declined else "charged"
    await conn.execute(
        "INSERT INTO payments (order_id, payment_id, status, amount_cents, reason)"
        " VALUES ($1, $2, $3, $4, $5)",
        command.order_id,
        payment_id,
        status,
        command.amount_cents,
        declined,
    )
    if declined:
        return ev.PaymentFailed(order_id=command.order_id, reason=declined)
    await conn.execute(
        "INSERT INTO ledger (order_id, kind, amount_cents) VALUES ($1, 'charge', $2)",
        command.order_id,
        command.amount_cents,
    )
    return ev.PaymentCompleted(
        order_id=command.order_id, payment_id=str(payment_id), amount_cents=command.amount_cents
    )


def _replay(order_id: str, row: asyncpg.Record) -> ev.Payload:
    status = row["status"]
    if status in {"charged", "refunded"}:
        return ev.PaymentCompleted(
            order_id=order_id, payment_id=str(row["payment_id"]), amount_cents=row["amount_cents"]
        )
    return ev.PaymentFailed(order_id=order_id, reason=str(row["reason"] or status))


async def refund(conn: Connection, order_id: str) -> ev.PaymentRefunded:
    row = await conn.fetchrow(
        "SELECT status, amount_cents FROM payments WHERE order_id = $1 FOR UPDATE", order_id
    )
    if row is None:
        await conn.execute(
            "INSERT INTO payments (order_id, payment_id, status, amount_cents, reason)"
            " VALUES ($1, $2, 'voided', 0, 'refund before charge')",
            order_id,
            uuid.uuid4(),
        )
        return ev.PaymentRefunded(order_id=order_id, amount_cents=0)
    if row["status"] != "charged":
        return ev.PaymentRefunded(order_id=order_id, amount_cents=0)
    await conn.execute(
        "UPDATE payments SET status = 'refunded', updated_at = now() WHERE order_id = $1", order_id
    )
    await conn.execute(
        "INSERT INTO ledger (order_id, kind, amount_cents) VALUES ($1, 'refund', $2)",
        order_id,
        -row["amount_cents"],
    )
    return ev.PaymentRefunded(order_id=order_id, amount_cents=row["amount_cents"])


async def find(conn: Connection, order_id: str) -> asyncpg.Record | None:
    """The order's payment row; None when the order never reached payment."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT order_id, payment_id::text, status, amount_cents, reason FROM payments"
        " WHERE order_id = $1",
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
