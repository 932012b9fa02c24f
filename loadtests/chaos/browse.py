"""A steady browse load on the catalog, for scenarios that hurt what reads depend on (Redis).

Open loop at a fixed rate, like the checkout load (load.py): the featured list, the categories, a
listing page and a product from it, in turn. Every read is recorded with its answer (the HTTP
status, or the error for no answer), so a scenario can hold "browsing was served" to account:
`failures()` names each read that was not a 200, with when it happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

import aiohttp

OK = 200
PATHS = ("/v1/featured", "/v1/categories", "/v1/products?limit=20")


@dataclass(frozen=True)
class Read:
    at: float  # time.time() when answered
    path: str
    outcome: str  # "200", another status, or the error's type name


@dataclass
class BrowseLoad:
    base_url: str
    rate_per_s: float = 10.0
    reads: list[Read] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    def failures(self, *, since: float = 0.0) -> list[Read]:
        return [r for r in self.reads if r.at >= since and r.outcome != "200"]

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=5)
        product: str | None = None
        pending: set[asyncio.Task[None]] = set()
        async with aiohttp.ClientSession(self.base_url, timeout=timeout) as session:

            async def one(path: str) -> None:
                nonlocal product
                try:
                    async with session.get(path) as response:
                        outcome = str(response.status)
                        if path.startswith("/v1/products?") and response.status == OK:
                            items = (await response.json()).get("items") or []
                            product = str(items[0]["product_id"]) if items else product
                except (aiohttp.ClientError, TimeoutError) as exc:
                    outcome = type(exc).__name__
                self.reads.append(Read(time.time(), path, outcome))

            began = time.monotonic()
            i = 0
            while not self._stop.is_set():
                paths = (*PATHS, f"/v1/products/{product}") if product else PATHS
                task = asyncio.create_task(one(paths[i % len(paths)]))
                pending.add(task)
                task.add_done_callback(pending.discard)
                i += 1
                delay = began + i / self.rate_per_s - time.monotonic()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):  # the pace, or a stop
                        await asyncio.wait_for(self._stop.wait(), delay)
            if pending:
                await asyncio.gather(*pending)
