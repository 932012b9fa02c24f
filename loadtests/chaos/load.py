"""A steady checkout load that runs while a scenario injects and heals its fault.

Open loop at a fixed rate, like loadtests/saga.py (whose seeding it reuses): a slow or dead order
service builds up refused requests, never a slower driver. Orders go through the gateway as
customers signed in during `seed` (loadtests/customers.py), or with `direct` to the order service
as before the gateway (ADR 0050). Every attempt is recorded with the wall-clock time it was
answered, so the runner can tell which orders were accepted during a fault and when the first one
after it succeeded. A refused or failed request is not an order (the customer was told no); only
202s are held to the invariants.

Products: most have plenty of stock; one is scarce, so stock-outs (and the oversell invariant)
are exercised in every scenario.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field

import asyncpg
import httpx

from loadtests import customers
from loadtests.saga import Plan, seed
from operators.local.stack import LocalStack

SCARCE_STOCK = 40


@dataclass(frozen=True)
class Attempt:
    sent_at: float
    answered_at: float
    order_id: str | None  # None: refused (not 202) or failed
    answer: str = "202"  # the HTTP status, or the error's type name


@dataclass
class SteadyLoad:
    stack: LocalStack
    rate_per_s: float = 8.0
    decline_every: int = 10
    direct: bool = False  # the order service at its own URL instead of the gateway
    products: list[str] = field(default_factory=list)
    initial: dict[str, int] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _open: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    _buyers: customers.Buyers | None = None

    async def seed(self, *, plenty: int = 100_000, products: int = 4) -> None:
        """Stock the products (one scarce), then sign the customers in; `stop` signs them off."""
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
        buyers = customers.for_stack(
            self.stack, direct=self.direct, rate_per_s=self.rate_per_s, max_in_flight=100,
            timeout_s=10, label="chaos",
        )  # fmt: skip
        self._buyers = await self._open.enter_async_context(buyers)

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        try:
            if self._task is not None:
                await self._task
        finally:
            await self._open.aclose()

    @property
    def accepted(self) -> list[Attempt]:
        return [a for a in self.attempts if a.order_id is not None]

    def order(self, i: int) -> tuple[list[dict[str, object]], str]:
        """Order `i`'s lines and card."""
        card = "tok_decline" if self.decline_every and i % self.decline_every == 0 else "tok_visa"
        return [{"product_id": self.products[i % len(self.products)], "quantity": 1 + i % 3}], card

    async def _run(self) -> None:
        buyers = self._buyers
        if buyers is None:
            raise RuntimeError("seed the load before starting it")
        pending: set[asyncio.Task[None]] = set()

        async def one(i: int) -> None:
            sent = time.time()
            items, card = self.order(i)
            placed = await buyers.place(i, items=items, card=card)
            self.attempts.append(Attempt(sent, time.time(), placed.order_id, placed.answer))

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
