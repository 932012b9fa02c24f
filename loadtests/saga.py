"""Drive orders through the full saga on the local stack and measure what happened.

Orders are sent open-loop at a fixed rate (a slow system builds a backlog instead of slowing the
driver down, as real customers would), with a bounded number in flight. Outcomes and latencies
are read afterwards from the order service's own database: `created_at` is when the order was
accepted, `updated_at` of a terminal order is when its saga ended, both by the database clock.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
import asyncpg
import httpx

from operators.local.stack import LocalStack

TERMINAL = ("CONFIRMED", "CANCELLED", "SHIPPED")
# A shipped order was confirmed first: it counts as CONFIRMED, timed to its confirmation.
_OUTCOME = "SELECT CASE WHEN o.status = 'SHIPPED' THEN 'CONFIRMED' ELSE o.status END AS status"


@dataclass
class Plan:
    orders: int = 200
    rate_per_s: float = 50.0
    decline_every: int = 10  # every n-th order uses a card that declines
    products: int = 5
    stock_per_product: int = 100_000
    max_in_flight: int = 64
    drain_timeout_s: float = 60.0


@dataclass
class Outcome:
    accepted: list[str] = field(default_factory=list)
    rejected: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    send_seconds: float = 0.0
    drain_seconds: float = 0.0

    @property
    def lost(self) -> int:
        return len(self.accepted) - sum(self.counts.get(s, 0) for s in TERMINAL)

    def percentile(self, status: str, q: float) -> float | None:
        values = sorted(self.latencies_ms.get(status, []))
        if not values:
            return None
        return values[min(len(values) - 1, round(q * (len(values) - 1)))]


Progress = Callable[[str], None]


async def seed(stack: LocalStack, http: httpx.AsyncClient, plan: Plan) -> list[str]:
    products = [f"demo-{uuid.uuid4().hex[:8]}-{i}" for i in range(plan.products)]
    for product in products:
        response = await http.put(
            f"{stack.workloads.url('inventory')}/v1/admin/inventory/{product}",
            json={"available": plan.stock_per_product, "price_cents": 1999},
            headers={"Authorization": f"Bearer {stack.admin_token()}"},
        )
        response.raise_for_status()
    conn = await asyncpg.connect(stack.postgres.dsn("order"))
    try:
        deadline = time.monotonic() + 30
        while await conn.fetchval(
            "SELECT count(*) FROM products WHERE product_id = ANY($1)", products
        ) < len(products):
            if time.monotonic() > deadline:
                raise TimeoutError("the order service never learned of the seeded products")
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    return products


async def drive(stack: LocalStack, plan: Plan, progress: Progress) -> Outcome:
    outcome = Outcome()
    async with httpx.AsyncClient(timeout=30) as http:
        products = await seed(stack, http, plan)
    gate = asyncio.Semaphore(plan.max_in_flight)
    url = f"{stack.workloads.url('order')}/v1/orders"
    # aiohttp for the hot loop: it costs a fraction of httpx's CPU per request, and on a 2-core
    # machine every cycle the driver burns is taken from the system it measures.
    connector = aiohttp.TCPConnector(limit=plan.max_in_flight)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(i: int) -> None:
            card = (
                "tok_decline" if plan.decline_every and i % plan.decline_every == 0 else "tok_visa"
            )
            body = {
                "customer_id": f"customer-{i % 97}",
                "items": [{"product_id": products[i % len(products)], "quantity": 1 + i % 3}],
                "payment": {"card_token": card},
            }
            async with gate:
                try:
                    async with session.post(
                        url, json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
                    ) as response:
                        if response.status != httpx.codes.ACCEPTED:
                            outcome.rejected += 1
                            return
                        outcome.accepted.append((await response.json())["order_id"])
                except (aiohttp.ClientError, TimeoutError):
                    outcome.rejected += 1

        began = time.monotonic()
        tasks = []
        for i in range(plan.orders):
            delay = began + i / plan.rate_per_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
            if i % max(1, int(plan.rate_per_s)) == 0:
                progress(f"sending: {i}/{plan.orders} sent, {len(outcome.accepted)} accepted")
        await asyncio.gather(*tasks)
        outcome.send_seconds = time.monotonic() - began
    await _drain(stack, plan, outcome, progress)
    return outcome


async def _drain(stack: LocalStack, plan: Plan, outcome: Outcome, progress: Progress) -> None:
    began = time.monotonic()
    conn = await asyncpg.connect(stack.postgres.dsn("order"))
    try:
        while True:
            rows = await conn.fetch(
                _OUTCOME + ", count(*) AS n FROM orders o WHERE order_id = ANY($1) GROUP BY 1",
                outcome.accepted,
            )
            outcome.counts = {r["status"]: r["n"] for r in rows}
            progress(
                "finishing sagas: "
                + ", ".join(f"{k.lower()} {v}" for k, v in sorted(outcome.counts.items()))
            )
            if outcome.lost == 0 or time.monotonic() - began > plan.drain_timeout_s:
                break
            await asyncio.sleep(0.25)
        rows = await conn.fetch(
            _OUTCOME + ", extract(epoch FROM e.occurred_at - o.created_at) * 1000 AS ms"
            " FROM orders o"
            " JOIN order_events e ON e.order_id = o.order_id"
            " AND e.event_type IN ('OrderConfirmed', 'OrderCancelled')"
            " WHERE o.order_id = ANY($1) AND o.status = ANY($2)",
            outcome.accepted,
            list(TERMINAL),
        )
    finally:
        await conn.close()
    outcome.drain_seconds = time.monotonic() - began
    for row in rows:
        outcome.latencies_ms.setdefault(row["status"], []).append(float(row["ms"]))
