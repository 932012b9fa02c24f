"""HTTP edge of shipping: one shipment by id, and the shipments of an order.

Routes only call the service layer (`handlers.py`) and return its answer; every error is a problem
document (`workloads.shared.problems`), declared per route for OpenAPI.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query

from workloads.shared.problems import problem_responses
from workloads.shared.runtime import RuntimeDep
from workloads.shipping import handlers
from workloads.shipping.schemas import ShipmentList, ShipmentView

router = APIRouter(
    prefix="/v1/shipments", tags=["shipments"], responses=problem_responses(422, 500)
)

ShipmentIdInPath = Annotated[UUID, Path(description="The shipment's id, as shipping issued it.")]
OrderIdInQuery = Annotated[UUID, Query(description="The order whose shipments to list.")]


@router.get("")
async def for_order(order_id: OrderIdInQuery, runtime: RuntimeDep) -> ShipmentList:
    return await handlers.for_order(runtime.pool, str(order_id))


@router.get("/{shipment_id}", responses=problem_responses(404))
async def get_shipment(shipment_id: ShipmentIdInPath, runtime: RuntimeDep) -> ShipmentView:
    return await handlers.get_shipment(runtime.pool, str(shipment_id))
