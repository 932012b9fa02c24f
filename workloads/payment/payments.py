"""Charge and refund, idempotent per order, with every money movement in the ledger.

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
