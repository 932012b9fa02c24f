"""HTTP edge of payment: one order's payment, and ledger totals for audit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from workloads.shared.problems import ProblemError
from workloads.shared.runtime import RuntimeDep

router = APIRouter(prefix="/v1/payments", tags=["payments"])


@router.get("/ledger/summary")
async def ledger_summary(runtime: RuntimeDep) -> dict[str, Any]:
    row = await runtime.pool.fetchrow(
        "SELECT count(*) FILTER (WHERE kind = 'charge') AS charges,"
        " count(*) FILTER (WHERE kind = 'refund') AS refunds,"
        " coalesce(sum(amount_cents) FILTER (WHERE kind = 'charge'), 0) AS charged_cents,"
        " coalesce(-sum(amount_cents) FILTER (WHERE kind = 'refund'), 0) AS refunded_cents,"
        " coalesce(sum(amount_cents), 0) AS net_cents FROM ledger"
    )
    return dict(row) if row else {}


@router.get("/{order_id}")
async def get_payment(order_id: str, runtime: RuntimeDep) -> dict[str, Any]:
    row = await runtime.pool.fetchrow(
        "SELECT order_id, payment_id::text, status, amount_cents, reason FROM payments"
        " WHERE order_id = $1",
        order_id,
    )
    if row is None:
        raise ProblemError(404, "Payment not found", f"No payment for order {order_id}.")
    ledger = await runtime.pool.fetch(
        "SELECT kind, amount_cents FROM ledger WHERE order_id = $1 ORDER BY id", order_id
    )
    return {**dict(row), "ledger": [dict(r) for r in ledger]}
