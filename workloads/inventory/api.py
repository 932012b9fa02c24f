"""HTTP edge of inventory: read stock; set stock and price (admin, bearer token).

Routes only parse the request, call the service layer (`handlers.py`) and return its answer; every
error is a problem document (`workloads.shared.problems`), declared per route for OpenAPI.
"""

from __future__ import annotations

from fastapi import APIRouter

from workloads.inventory import handlers
from workloads.inventory.schemas import StockIn, StockLevel, StockView
from workloads.shared.auth import require_token
from workloads.shared.inputs import ProductIdInPath
from workloads.shared.problems import problem_responses
from workloads.shared.runtime import RuntimeDep
from workloads.shared.telemetry import correlation_id


def routers(admin_token: str) -> list[APIRouter]:
    public = APIRouter(
        prefix="/v1/inventory", tags=["inventory"], responses=problem_responses(422, 500)
    )
    admin = APIRouter(
        prefix="/v1/admin/inventory",
        tags=["admin"],
        dependencies=[require_token(admin_token)],
        responses=problem_responses(401, 422, 500),
    )

    @public.get("/{product_id}", responses=problem_responses(404))
    async def get_stock(product_id: ProductIdInPath, runtime: RuntimeDep) -> StockView:
        return await handlers.get_stock(runtime.pool, product_id)

    @admin.put("/{product_id}", responses=problem_responses(400, 413))
    async def set_stock(
        product_id: ProductIdInPath, body: StockIn, runtime: RuntimeDep
    ) -> StockLevel:
        return await handlers.set_stock(
            runtime.pool, product_id, body, correlation_id=correlation_id.get()
        )

    return [public, admin]
