"""HTTP edge of inventory: read stock; set stock and price (admin, bearer token)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from workloads.contracts import events as ev
from workloads.shared.auth import require_token
from workloads.shared.database import transaction
from workloads.shared.messaging import outbox
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.problems import ProblemError
from workloads.shared.runtime import RuntimeDep
from workloads.shared.telemetry import correlation_id

PRODUCT_ID = r"^[A-Za-z0-9._-]{1,64}$"


class StockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    available: int = Field(ge=0, le=10_000_000)
    price_cents: int = Field(ge=0, le=100_000_000)


def routers(admin_token: str) -> list[APIRouter]:
    public = APIRouter(prefix="/v1/inventory", tags=["inventory"])
    admin = APIRouter(
        prefix="/v1/admin/inventory", tags=["admin"], dependencies=[require_token(admin_token)]
    )

    @public.get("/{product_id}")
    async def get_stock(product_id: str, runtime: RuntimeDep) -> dict[str, Any]:
        row = await runtime.pool.fetchrow(
            "SELECT p.product_id, p.available, p.price_cents,"
            " coalesce(sum(r.quantity) FILTER (WHERE r.status = 'held'), 0) AS held"
            " FROM products p LEFT JOIN reservations r USING (product_id)"
            " WHERE p.product_id = $1 GROUP BY p.product_id",
            product_id,
        )
        if row is None:
            raise ProblemError(404, "Product not found", f"No product {product_id}.")
        return dict(row)

    @admin.put("/{product_id}")
    async def set_stock(product_id: str, body: StockIn, runtime: RuntimeDep) -> dict[str, Any]:
        if not re.fullmatch(PRODUCT_ID, product_id):
            raise ProblemError(422, "Invalid product id", f"Product ids match {PRODUCT_ID}.")
        async with transaction(runtime.pool) as conn:
            await conn.execute(
                "INSERT INTO products (product_id, price_cents, available) VALUES ($1, $2, $3)"
                " ON CONFLICT (product_id) DO UPDATE SET price_cents = $2, available = $3,"
                " updated_at = now()",
                product_id,
                body.price_cents,
                body.available,
            )
            stocked = ev.ProductStocked(
                product_id=product_id, price_cents=body.price_cents, available=body.available
            )
            envelope = Envelope.wrap(stocked, correlation_id=correlation_id.get())
            await outbox.append(conn, envelope, key=product_id)
        return {"product_id": product_id, **body.model_dump()}

    return [public, admin]
