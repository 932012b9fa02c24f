"""The products a run orders: `load-<n>`, stocked generously and described, before Locust starts.

Each is set through the services' own admin routes (inventory: stock and price; catalog: name and
category), so every read model learns of it the way it learns of any product. These calls go to
the services themselves even when the load goes through the gateway: stocking is the operator's
setup with the stack's admin token (which the gateway, admitting identity's JWTs only, refuses),
not part of the load; the run's admins (churn) write through the gateway as admin accounts.
Then, on the local stack, the run waits (bounded) until the order service knows them all, or an
order for one would be refused. Setting the same level again is idempotent, so every run starts
with full stock.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg
import httpx

from loadtests.scenarios.settings import LoadSettings, product_id

STOCK = 1_000_000


async def stock(
    settings: LoadSettings, *, admin_token: str, order_dsn: str | None, timeout_s: float = 60
) -> None:
    direct = settings.model_copy(update={"gateway_url": None})
    admin = {"Authorization": f"Bearer {admin_token}"}
    products = [product_id(i) for i in range(settings.products)]
    async with httpx.AsyncClient(timeout=30, headers=admin) as http:
        for n, product in enumerate(products):
            level = {"available": STOCK, "price_cents": 1000 + 10 * n}
            details = {"name": f"Load Product {n}", "category": "kitchen"}
            inventory = f"{direct.url('inventory')}/v1/admin/inventory/{product}"
            (await http.put(inventory, json=level)).raise_for_status()
            (
                await http.put(f"{direct.url('catalog')}/v1/products/{product}", json=details)
            ).raise_for_status()
    if order_dsn is None:
        return
    conn = await asyncpg.connect(order_dsn)
    try:
        deadline = time.monotonic() + timeout_s
        while await conn.fetchval(
            "SELECT count(*) FROM products WHERE product_id = ANY($1)", products
        ) < len(products):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the order service did not learn of the load products in {timeout_s:.0f} s"
                    " (is inventory's outbox relay running? `conveyor local logs inventory-0`)"
                )
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
