"""HTTP edge of payment: one order's payment, and ledger totals for audit.

Routes only call the service layer (`handlers.py`) and return its answer; every error is a problem
document (`workloads.shared.problems`), declared per route for OpenAPI.
"""

from __future__ import annotations

from fastapi import APIRouter

from workloads.payment import handlers
from workloads.payment.schemas import LedgerSummary, PaymentView
from workloads.shared.inputs import OrderIdInPath
from workloads.shared.problems import problem_responses
from workloads.shared.runtime import RuntimeDep

router = APIRouter(prefix="/v1/payments", tags=["payments"], responses=problem_responses(422, 500))


@router.get("/ledger/summary")
async def ledger_summary(runtime: RuntimeDep) -> LedgerSummary:
    return await handlers.ledger_summary(runtime.pool)


@router.get("/{order_id}", responses=problem_responses(404))
async def get_payment(order_id: OrderIdInPath, runtime: RuntimeDep) -> PaymentView:
    return await handlers.get_payment(runtime.pool, str(order_id))
