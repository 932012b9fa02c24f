"""A small client for the running services, shared by the e2e tests, the demo and the benchmark."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
from rich.console import Console

from operators.local.stack import LocalStack
from tests.support.eventually import eventually

TERMINAL = {"CONFIRMED", "CANCELLED", "SHIPPED"}
# The saga confirmed it: CONFIRMED, or already SHIPPED (shipping ships every confirmed order).
SUCCEEDED = {"CONFIRMED", "SHIPPED"}


@dataclass
class SagaClient:
    stack: LocalStack
    http: httpx.AsyncClient

    @staticmethod
    def quiet_console() -> Console:
        return Console(file=io.StringIO())

    def url(self, workload: str, path: str) -> str:
        return f"{self.stack.workloads.url(workload)}{path}"

    async def set_stock(self, product_id: str, available: int, price_cents: int = 1000) -> None:
        response = await self.http.put(
            self.url("inventory", f"/v1/admin/inventory/{product_id}"),
            json={"available": available, "price_cents": price_cents},
            headers={"Authorization": f"Bearer {self.stack.admin_token()}"},
        )
        response.raise_for_status()

    async def wait_sellable(self, *product_ids: str, timeout_s: float = 20) -> None:
        """Until the order service's product read model has caught up with inventory."""
        conn = await asyncpg.connect(self.stack.postgres.dsn("order"))

        async def known() -> None:
            count = await conn.fetchval(
                "SELECT count(*) FROM products WHERE product_id = ANY($1)", list(product_ids)
            )
            assert count == len(product_ids), f"order never learned of {product_ids}"

        try:
            await eventually(known, within_s=timeout_s, every_s=0.05)
        finally:
            await conn.close()

    async def seed(self, available: int, price_cents: int = 1000) -> str:
        product_id = f"sku-{uuid.uuid4().hex[:12]}"
        await self.set_stock(product_id, available, price_cents)
        await self.wait_sellable(product_id)
        return product_id

    async def place(
        self,
        product_id: str,
        quantity: int = 1,
        *,
        card: str = "tok_visa",
        key: str | None = None,
        customer: str = "customer-1",
    ) -> httpx.Response:
        return await self.http.post(
            self.url("order", "/v1/orders"),
            json={
                "customer_id": customer,
                "items": [{"product_id": product_id, "quantity": quantity}],
                "payment": {"card_token": card},
            },
            headers={"Idempotency-Key": key or str(uuid.uuid4())},
        )

    async def place_ok(self, product_id: str, quantity: int = 1, **kwargs: Any) -> str:
        response = await self.place(product_id, quantity, **kwargs)
        assert response.status_code == 202, response.text
        order_id: str = response.json()["order_id"]
        return order_id

    async def order(self, order_id: str) -> dict[str, Any]:
        response = await self.http.get(self.url("order", f"/v1/orders/{order_id}"))
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    async def wait_terminal(self, order_id: str, timeout_s: float = 60) -> dict[str, Any]:
        return await self.wait_status(order_id, TERMINAL, timeout_s)

    async def wait_status(
        self, order_id: str, statuses: set[str], timeout_s: float = 60
    ) -> dict[str, Any]:

        async def reached() -> dict[str, Any]:
            try:
                order = await self.order(order_id)
            except httpx.HTTPError as exc:  # the order service may be restarting
                raise AssertionError(f"order {order_id}: {exc!r}") from exc
            assert order["status"] in statuses, f"order {order_id} is still {order['status']}"
            return order

        return await eventually(reached, within_s=timeout_s)

    async def stock(self, product_id: str) -> dict[str, Any]:
        response = await self.http.get(self.url("inventory", f"/v1/inventory/{product_id}"))
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    async def payment(self, order_id: str) -> dict[str, Any] | None:
        response = await self.http.get(self.url("payment", f"/v1/payments/{order_id}"))
        if response.status_code == 404:
            return None
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body
