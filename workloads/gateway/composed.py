"""The gateway's own routes: an aggregated order summary, and `/v2` of the order API.

`GET /v1/orders/{id}/summary` puts the order, its payment and its shipment side by side. The order
is required (it decides ownership): without it the answer is the order service's error. Payment
and shipment are fetched concurrently, each through its upstream's defences; one that fails
(down, breaker open, timeout, 5xx) leaves its part `null`, names it in `unavailable` and sets
`partial: true` — a 200, never a 5xx. A part that does not exist yet (404: not paid, not shipped)
is `null` and *not* unavailable.

`/v2/orders/{id}` shows API evolution: the same order in a changed shape (`id` instead of
`order_id`, the customer and the money as objects, `lines` instead of `items`), translated here
from v1, which keeps working unchanged; both are in the one OpenAPI document (`openapi.py`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from workloads.gateway import forwarding, proxy, routing
from workloads.gateway.state import Gateway, GatewayDep
from workloads.shared.inputs import OrderIdInPath
from workloads.shared.problems import ProblemError, problem_responses

OWN_ORDER = routing.Rule(
    frozenset({"GET"}), "/v1/orders/{order_id}", routing.Access.CUSTOMER,
    routing.Owner.ORDER_IN_PATH,
)  # fmt: skip
CURRENCY = "EUR"


class OrderSummary(BaseModel):
    order_id: str
    order: dict[str, Any]
    payment: dict[str, Any] | None
    shipment: dict[str, Any] | None
    partial: bool
    unavailable: list[str]


class Money(BaseModel):
    amount_cents: int
    currency: str


class LineV2(BaseModel):
    product_id: str
    quantity: int
    unit_price: Money


class CustomerRef(BaseModel):
    id: str


class OrderV2(BaseModel):
    id: str
    customer: CustomerRef
    status: str
    lines: list[LineV2]
    total: Money
    version: int
    created_at: str
    updated_at: str


async def _owned_order(request: Request, gateway: Gateway, order_id: str) -> dict[str, Any]:
    principal = await proxy.admit(request, gateway, OWN_ORDER)
    headers = forwarding.request_headers(request)
    answer = await gateway.upstream("order").call("GET", f"/v1/orders/{order_id}", headers=headers)
    if answer.status_code != 200:  # noqa: PLR2004
        forwarding.relay(answer, "order")  # a 5xx becomes the gateway's 502
        raise ProblemError(404, "Not found", "No such order.")
    order: dict[str, Any] = answer.json()
    if (
        principal is not None
        and not principal.admin
        and order.get("customer_id") != principal.subject
    ):
        raise ProblemError(404, "Not found", "No such order.")
    return order


async def _part(
    gateway: Gateway, workload: str, path: str, query: str, headers: dict[str, str]
) -> tuple[dict[str, Any] | None, bool]:
    """(the part or None, available?)"""
    try:
        answer = await gateway.upstream(workload).call("GET", path, query=query, headers=headers)
    except ProblemError:
        return None, False
    if answer.status_code == 404:  # noqa: PLR2004
        return None, True
    if answer.status_code != 200:  # noqa: PLR2004
        return None, False
    body = answer.json()
    if isinstance(body, list):  # a list endpoint: the order's first shipment, if any
        return (body[0] if body else None), True
    for key in ("items", "shipments"):  # shipping answers {order_id, shipments: [...]}
        if isinstance(body, dict) and isinstance(body.get(key), list):
            return (body[key][0] if body[key] else None), True
    return body, True


def routers() -> list[APIRouter]:
    v1 = APIRouter(prefix="/v1/orders", tags=["orders"])
    v2 = APIRouter(prefix="/v2/orders", tags=["orders v2"])
    errors = problem_responses(401, 404, 429, 502, 503)

    @v1.get("/{order_id}/summary", responses=errors)
    async def summary(
        order_id: OrderIdInPath, request: Request, gateway: GatewayDep
    ) -> OrderSummary:
        oid = str(order_id)
        order = await _owned_order(request, gateway, oid)
        headers = forwarding.request_headers(request)
        (payment, paid_ok), (shipment, shipped_ok) = await asyncio.gather(
            _part(gateway, "payment", f"/v1/payments/{oid}", "", headers),
            _part(gateway, "shipping", "/v1/shipments", f"order_id={oid}", headers),
        )
        unavailable = [n for n, ok in (("payment", paid_ok), ("shipment", shipped_ok)) if not ok]
        return OrderSummary(
            order_id=oid, order=order, payment=payment, shipment=shipment,
            partial=bool(unavailable), unavailable=unavailable,
        )  # fmt: skip

    @v2.get("/{order_id}", responses=errors)
    async def order_v2(order_id: OrderIdInPath, request: Request, gateway: GatewayDep) -> OrderV2:
        order = await _owned_order(request, gateway, str(order_id))
        return OrderV2(
            id=order["order_id"],
            customer=CustomerRef(id=order["customer_id"]),
            status=order["status"],
            lines=[
                LineV2(
                    product_id=line["product_id"],
                    quantity=line["quantity"],
                    unit_price=Money(amount_cents=line["unit_price_cents"], currency=CURRENCY),
                )
                for line in order["items"]
            ],
            total=Money(amount_cents=order["total_cents"], currency=CURRENCY),
            version=order["version"],
            created_at=order["created_at"],
            updated_at=order["updated_at"],
        )

    return [v1, v2]
