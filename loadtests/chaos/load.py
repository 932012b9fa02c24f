"""A steady checkout load that runs while a scenario injects and heals its fault.

Open loop at a fixed rate, like loadtests/saga.py (whose seeding and order bodies it reuses): a
slow or dead order service builds up refused requests, never a slower driver. Every attempt is
recorded with the wall-clock time it was answered, so the runner can tell which orders were
accepted during a fault and when the first one after it succeeded. A refused or failed request
is not an order (the customer was told no); only 202s are held to the invariants.

Products: most have plenty of stock; one is scarce, so stock-outs (and the oversell invariant)
are exercised in every scenario.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field

import aiohttp
import asyncpg
import httpx

from loadtests.saga import Plan, seed
from operators.local.stack import LocalStack

SCARCE_STOCK = 40


@dataclass(frozen=True)
class Attempt:
    sent_at: float
    answered_at: float
    order_id: str | None  # None: refused (not 202) or failed


@dataclass
class SteadyLoad:
    stack: LocalStack
    rate_per_s: float = 8.0
    decline_every: int = 10
    products: list[str] = field(default_factory=list)
    initial: dict[str, int] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def seed(self, *, plenty: int = 100_000, products: int = 4) -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            self.products = await seed(
                self.stack, http, Plan(products=products, stock_per_product=plenty)
            )
            scarce = f"scarce-{uuid.uuid4().hex[:8]}"
            response = await http.put(
                f"{self.stack.workloads.url('inventory')}/v1/admin/inventory/{scarce}",
                json={"available": SCARCE_STOCK, "price_cents": 2500},
                headers={"Authorization": f"Bearer {self.stack.admin_token()}"},
            )
            response.raise_for_status()
        self.initial = dict.fromkeys(self.products, plenty) | {scarce: SCARCE_STOCK}
        self.products.append(scarce)
        await seed_known(self.stack, scarce)

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    @property
    def accepted(self) -> list[Attempt]:
        return [a for a in self.attempts if a.order_id is not None]

    def body(self, i: int) -> dict[str, object]:
        card = "tok_decline" if self.decline_every and i % self.decline_every == 0 else "tok_visa"
        return {
            "customer_id": f"customer-{i % 97}",
            "items": [{"product_id": self.products[i % len(self.products)], "quantity": 1 + i % 3}],
            "payment": {"card_token": card},
        }

    async def _run(self) -> None:
        url = f"{self.stack.workloads.url('order')}/v1/orders"
        timeout = aiohttp.ClientTimeout(total=10)
        pending: set[asyncio.Task[None]] = set()
        async with aiohttp.ClientSession(timeout=timeout) as session:

            async def one(i: int) -> None:
                sent = time.time()
                order_id = None
                try:
                    async with session.post(
                        url, json=self.body(i), headers={"Idempotency-Key": str(uuid.uuid4())}
                    ) as response:
                        if response.status == httpx.codes.ACCEPTED:
                            order_id = str((await response.json())["order_id"])
                except (aiohttp.ClientError, TimeoutError):
                    pass  # refused: the customer saw an error, there is no order to account for
                self.attempts.append(Attempt(sent, time.time(), order_id))

            began = time.monotonic()
            i = 0
            while not self._stop.is_set():
                task = asyncio.create_task(one(i))
                pending.add(task)
                task.add_done_callback(pending.discard)
                i += 1
                delay = began + i / self.rate_per_s - time.monotonic()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):  # the pace, or a stop
                        await asyncio.wait_for(self._stop.wait(), delay)
            if pending:
                await asyncio.gather(*pending)


async def seed_known(stack: LocalStack, product: str) -> None:
    """Until the order service's product read model knows `product` (bounded)."""
    conn = await asyncpg.connect(stack.postgres.dsn("order"))
    try:
        deadline = time.monotonic() + 30
        while not await conn.fetchval("SELECT 1 FROM products WHERE product_id = $1", product):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the order service never learned of {product}")
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
