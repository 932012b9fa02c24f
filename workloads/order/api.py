"""HTTP edge of the order service: place, read, cancel orders and read their history."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from workloads.contracts.events import PricedOrderLine
from workloads.order.adapters import store
from workloads.order.domain.order import OrderState
from workloads.order.domain.saga import CancellationRefusedError, CancelRequested, PlaceOrder
from workloads.order.settings import OrderSettings
from workloads.shared.database import transaction
from workloads.shared.problems import ProblemError
from workloads.shared.runtime import RuntimeDep
from workloads.shared.telemetry import correlation_id

router = APIRouter(prefix="/v1/orders", tags=["orders"])


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=1000)


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    card_token: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: str = Field(min_length=1, max_length=64)
    items: list[LineIn] = Field(min_length=1, max_length=50)
    payment: PaymentIn

    @field_validator("items")
    @classmethod
    def _distinct_products(cls, items: list[LineIn]) -> list[LineIn]:
        ids = [item.product_id for item in items]
        if len(ids) != len(set(ids)):
            raise ValueError("each product may appear once; add up the quantities")
        return items


class OrderAccepted(BaseModel):
    order_id: str
    status: str


IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=128)]


def _settings(request: Request) -> OrderSettings:
    settings: OrderSettings = request.app.state.runtime.settings
    return settings


@router.post("", status_code=202, response_model=OrderAccepted)
async def place_order(
    body: OrderIn,
    idempotency_key: IdempotencyKey,
    runtime: RuntimeDep,
    request: Request,
    response: Response,
) -> OrderAccepted:
    request_hash = hashlib.sha256(
        json.dumps(body.model_dump(), sort_keys=True).encode()
    ).hexdigest()
    async with transaction(runtime.pool) as conn:
        order_id = str(uuid.uuid4())
        existing = await conn.fetchrow(
            "INSERT INTO idempotency_keys (key, request_hash, order_id) VALUES ($1, $2, $3)"
            " ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key"
            " RETURNING request_hash, order_id, (xmax <> 0) AS replayed",
            idempotency_key,
            request_hash,
            order_id,
        )
        if existing is None:
            raise ProblemError(500, "Internal error", "The idempotency record was not written.")
        if existing["replayed"]:
            if existing["request_hash"] != request_hash:
                raise ProblemError(
                    409,
                    "Idempotency key reused",
                    "This Idempotency-Key was used with a different request body.",
                )
            order_id = existing["order_id"]
            state = await store.load(conn, order_id, lock=False)
            response.headers["Location"] = f"/v1/orders/{order_id}"
            return OrderAccepted(order_id=order_id, status=state.status if state else "PENDING")
        ids = [item.product_id for item in body.items]
        prices = {
            r["product_id"]: r["price_cents"]
            for r in await conn.fetch(
                "SELECT product_id, price_cents FROM products WHERE product_id = ANY($1)", ids
            )
        }
        unknown = [pid for pid in ids if pid not in prices]
        if unknown:
            raise ProblemError(
                422, "Unknown products", "Some products do not exist.", unknown=unknown
            )
        lines = [
            PricedOrderLine(
                product_id=i.product_id, quantity=i.quantity, unit_price_cents=prices[i.product_id]
            )
            for i in body.items
        ]
        state = OrderState(order_id=order_id)
        trigger = PlaceOrder(body.customer_id, lines, body.payment.card_token, datetime.now(UTC))
        await store.handle(
            conn,
            state,
            trigger,
            cause=None,
            correlation_id=correlation_id.get(),
            step_timeout_s=_settings(request).saga_step_timeout_s,
        )
    response.headers["Location"] = f"/v1/orders/{order_id}"
    return OrderAccepted(order_id=order_id, status="PENDING")


@router.get("/{order_id}")
async def get_order(order_id: str, runtime: RuntimeDep) -> dict[str, Any]:
    row = await runtime.pool.fetchrow(
        "SELECT order_id, customer_id, status, saga_step, total_cents, snapshot, version,"
        " created_at, updated_at FROM orders WHERE order_id = $1",
        order_id,
    )
    if row is None:
        raise ProblemError(404, "Order not found", f"No order {order_id}.")
    snapshot = json.loads(row["snapshot"])
    return {
        "order_id": row["order_id"],
        "customer_id": row["customer_id"],
        "status": row["status"],
        "saga_step": row["saga_step"],
        "items": snapshot["lines"],
        "total_cents": row["total_cents"],
        "cancel_reason": snapshot["cancel_reason"],
        "version": row["version"],
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


@router.get("/{order_id}/events")
async def get_order_events(order_id: str, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.pool.acquire() as conn:
        events = await store.history(conn, order_id)
    if not events:
        raise ProblemError(404, "Order not found", f"No order {order_id}.")
    return {"order_id": order_id, "events": events}


@router.post("/{order_id}/cancel", status_code=202)
async def cancel_order(order_id: str, runtime: RuntimeDep, request: Request) -> dict[str, str]:
    async with transaction(runtime.pool) as conn:
        state = await store.load(conn, order_id, lock=True)
        if state is None:
            raise ProblemError(404, "Order not found", f"No order {order_id}.")
        try:
            await store.handle(
                conn,
                state,
                CancelRequested(),
                cause=None,
                correlation_id=correlation_id.get(),
                step_timeout_s=_settings(request).saga_step_timeout_s,
            )
        except CancellationRefusedError as exc:
            raise ProblemError(409, "Order cannot be cancelled", str(exc)) from exc
        after = await store.load(conn, order_id, lock=False)
    return {"order_id": order_id, "status": after.status.value if after else "UNKNOWN"}
