"""Drive orders through the full saga on the local stack and measure what happened.

Orders are sent open-loop at a fixed rate (a slow system builds a backlog instead of slowing the
driver down, as real customers would), with a bounded number in flight. They go through the
gateway as signed-in customers by default, or straight to the order service with `Plan.direct`
(loadtests/customers.py, ADR 0050); stocking the products is setup and stays on inventory's own
admin route. Outcomes and latencies are read afterwards from the order service's own database:
`created_at` is when the order was accepted, the saga's terminal event when it ended, both by the
database clock. `prepared` does the setup (products, sign-ins), `send` and `drain` the measured
part; `drive` is all three.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import asyncpg
import httpx

from loadtests import customers
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
    direct: bool = False  # the order service at its own URL instead of the gateway


@dataclass
class Outcome:
    accepted: list[str] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)  # answer (status or error) -> orders
    counts: dict[str, int] = field(default_factory=dict)
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    send_seconds: float = 0.0
    drain_seconds: float = 0.0

    @property
    def rejected(self) -> int:
        return sum(self.refused.values())

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


@dataclass(frozen=True)
class Shop:
    """What a run orders and who orders it (signed in, connected)."""

    products: list[str]
    buyers: customers.Buyers


@asynccontextmanager
async def prepared(stack: LocalStack, plan: Plan, progress: Progress) -> AsyncIterator[Shop]:
    """The run's setup, not measured: products stocked and known, customers signed in."""
    progress(f"stocking {plan.products} products")
    async with httpx.AsyncClient(timeout=30) as http:
        products = await seed(stack, http, plan)
    buyers = customers.for_stack(
        stack, direct=plan.direct, rate_per_s=plan.rate_per_s,
        max_in_flight=plan.max_in_flight, timeout_s=30, label="bench",
    )  # fmt: skip
    progress(
        f"{buyers.customers} customers signing in at the gateway"
        if isinstance(buyers, customers.Gateway)
        else "orders go to the order service directly"
    )
    async with buyers:
        yield Shop(products, buyers)


async def send(shop: Shop, plan: Plan, progress: Progress) -> Outcome:
    """Place `plan.orders` orders at `plan.rate_per_s`, open loop; the accepted and refused."""
    outcome = Outcome()
    gate = asyncio.Semaphore(plan.max_in_flight)
    products = shop.products

    async def one(i: int) -> None:
        card = "tok_decline" if plan.decline_every and i % plan.decline_every == 0 else "tok_visa"
        items = [{"product_id": products[i % len(products)], "quantity": 1 + i % 3}]
        async with gate:
            placed = await shop.buyers.place(i, items=items, card=card)
        if placed.order_id is None:
            outcome.refused[placed.answer] = outcome.refused.get(placed.answer, 0) + 1
        else:
            outcome.accepted.append(placed.order_id)

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
    return outcome


async def drive(stack: LocalStack, plan: Plan, progress: Progress) -> Outcome:
    """Set up, send and drain one run."""
    async with prepared(stack, plan, progress) as shop:
        outcome = await send(shop, plan, progress)
    await drain(stack, plan, outcome, progress)
    return outcome


async def drain(stack: LocalStack, plan: Plan, outcome: Outcome, progress: Progress) -> None:
    """Until every accepted order is terminal (bounded by `plan.drain_timeout_s`), then their
    saga latencies, by the database's clock."""
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
