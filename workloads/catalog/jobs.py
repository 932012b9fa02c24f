"""The catalog's background job: apply the cache invalidations Redis could not take.

Every `INVALIDATION_RETRY_S` it applies what the consumer parked while Redis was down or the
breaker open (`handlers.drain_invalidations`); the gauge `conveyor_cache_pending_invalidations`
says how many groups wait. Until they are applied, entries Redis kept through its outage may be
served past a change (bounded by the retry interval once Redis answers, and by the TTL at worst).
Every replica may run it: applying a group twice only drops an entry twice. Crash-only like every
background task (`workloads.shared.runtime`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence

from workloads.catalog import handlers
from workloads.catalog.settings import CatalogSettings
from workloads.shared.cache_aside import CacheAside
from workloads.shared.runtime import JobFactory, Runtime


async def drain(runtime: Runtime, cache: CacheAside, *, every_s: float) -> None:
    while True:
        await handlers.drain_invalidations(runtime.pool, cache=cache)
        await asyncio.sleep(every_s)


def builder(cache: CacheAside) -> JobFactory:
    def build(runtime: Runtime) -> Sequence[tuple[str, Awaitable[None]]]:
        settings = runtime.settings
        if not isinstance(settings, CatalogSettings):
            raise TypeError("the invalidation job needs CatalogSettings")
        return [
            ("cache-invalidations", drain(runtime, cache, every_s=settings.invalidation_retry_s))
        ]

    return build
