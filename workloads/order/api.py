"""HTTP edge of the order service: place, read, cancel orders and read their history.

Routes only parse the request, call the service layer (`handlers.py`) and return its answer; every
error is a problem document (`workloads.shared.problems`), declared per route for OpenAPI.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response

from workloads.order import handlers, queries
from workloads.order.schemas import (
    CustomerOrders,
    OrderAccepted,
    OrderHistory,
    OrderIn,
    OrderView,
)
from workloads.order.settings import OrderSettings
from workloads.shared.inputs import OrderIdInPath
from workloads.shared.problems import problem_responses
from workloads.shared.runtime import RuntimeDep
from workloads.shared.telemetry import correlation_id

router = APIRouter(prefix="/v1/orders", tags=["orders"], responses=problem_responses(422, 500))
customers = APIRouter(
    prefix="/v1/customers", tags=["customers"], responses=problem_responses(422, 500)
)

IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=128)]


def _step_timeout_s(request: Request) -> float:
    settings: OrderSettings = request.app.state.runtime.settings
    return settings.saga_step_timeout_s


@router.post("", status_code=202, responses=problem_responses(400, 409, 413))
async def place_order(
    body: OrderIn,
    idempotency_key: IdempotencyKey,
    runtime: RuntimeDep,
    request: Request,
    response: Response,
) -> OrderAccepted:
    accepted = await handlers.place_order(
        runtime.pool,
        body,
        idempotency_key=idempotency_key,
        correlation_id=correlation_id.get(),
        step_timeout_s=_step_timeout_s(request),
    )
    response.headers["Location"] = f"/v1/orders/{accepted.order_id}"
    return accepted


@router.get("/{order_id}", responses=problem_responses(404))
async def get_order(order_id: OrderIdInPath, runtime: RuntimeDep) -> OrderView:
    return await handlers.get_order(runtime.pool, str(order_id))


@router.get("/{order_id}/events", responses=problem_responses(404))
async def get_order_events(order_id: OrderIdInPath, runtime: RuntimeDep) -> OrderHistory:
    return await handlers.order_history(runtime.pool, str(order_id))


@router.post("/{order_id}/cancel", status_code=202, responses=problem_responses(404, 409))
async def cancel_order(
    order_id: OrderIdInPath, runtime: RuntimeDep, request: Request
) -> OrderAccepted:
    return await handlers.cancel_order(
        runtime.pool,
        str(order_id),
        correlation_id=correlation_id.get(),
        step_timeout_s=_step_timeout_s(request),
    )


CustomerIdInPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[^\x00]+$", description="The customer.")
]


@customers.get("/{customer_id}/orders", responses=problem_responses(400, 504))
async def customer_orders(
    customer_id: CustomerIdInPath,
    *,
    runtime: RuntimeDep,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    consistency_token: Annotated[
        str | None,
        Query(max_length=64, description="From a write: wait until the read shows it."),
    ] = None,
) -> CustomerOrders:
    """The customer's orders, newest first (the read model; ADR 0035)."""
    settings: OrderSettings = request.app.state.runtime.settings
    return await queries.customer_orders(
        runtime.pool,
        customer_id,
        limit=limit,
        cursor=cursor,
        token=consistency_token,
        wait_s=settings.read_your_writes_wait_s,
    )
