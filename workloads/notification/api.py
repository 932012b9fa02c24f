"""HTTP edge of notification: the notifications recorded for one order.

Routes only call the service layer (`handlers.py`) and return its answer; every error is a problem
document (`workloads.shared.problems`), declared per route for OpenAPI.
"""

from __future__ import annotations

from fastapi import APIRouter

from workloads.notification import handlers
from workloads.notification.schemas import OrderNotifications
from workloads.shared.inputs import OrderIdInPath
from workloads.shared.problems import problem_responses
from workloads.shared.runtime import RuntimeDep

router = APIRouter(
    prefix="/v1/notifications", tags=["notifications"], responses=problem_responses(422, 500)
)


@router.get("/{order_id}")
async def for_order(order_id: OrderIdInPath, runtime: RuntimeDep) -> OrderNotifications:
    return await handlers.for_order(runtime.pool, str(order_id))
