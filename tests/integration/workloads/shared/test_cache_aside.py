"""Cache-aside against the local stack's real Redis: hits, one load per cold key, no stale fills.

Each test uses a cache name of its own (the key prefix), so tests and the running catalog never
share keys. The loader is a coroutine that counts its calls: the "database" here is the counter.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from operators.local.stack import LocalStack
from workloads.shared.breaker import CircuitBreaker, State
from workloads.shared.cache import RedisSettings, create_redis
from workloads.shared.cache_aside import CacheAside, CacheUnavailableError


class Source:
    """A loader that counts its loads and can be held open to build a crowd of waiters."""

    def __init__(self, value: str = "v1") -> None:
        self.value = value
        self.loads = 0
        self.started = asyncio.Event()  # set by every load as it begins
        self.gate = asyncio.Event()  # a load returns only once this is set
        self.gate.set()

    async def load(self) -> str:
        self.loads += 1
        self.started.set()
        value = self.value
        await self.gate.wait()
        return value


@pytest.fixture
async def redis(stack: LocalStack) -> AsyncIterator[Redis]:
    client = create_redis(RedisSettings(url=SecretStr(stack.redis.url())))
    try:
        yield client
    finally:
        await client.aclose()


def cache_on(redis: Redis, **kwargs: float) -> CacheAside:
    name = f"test-{uuid.uuid4().hex[:8]}"
    return CacheAside(redis, name=name, breaker=CircuitBreaker(name), **kwargs)  # type: ignore[arg-type]


async def test_a_miss_loads_and_stores_and_the_next_read_is_a_hit(redis: Redis) -> None:
    cache, source = cache_on(redis), Source()
    assert await cache.get("k", source.load, groups=["g"]) == "v1"
    source.value = "v2"
    assert await cache.get("k", source.load, groups=["g"]) == "v1"
    assert source.loads == 1


async def test_an_invalidated_group_is_loaded_again(redis: Redis) -> None:
    cache, source = cache_on(redis), Source()
    await cache.get("a", source.load, groups=["g1"])
    await cache.get("b", source.load, groups=["g2"])
    source.value = "v2"
    await cache.invalidate(["g1"])
    assert await cache.get("a", source.load, groups=["g1"]) == "v2"
    assert await cache.get("b", source.load, groups=["g2"]) == "v1"  # another group: untouched


async def test_a_hundred_concurrent_misses_make_one_load(redis: Redis) -> None:
    cache, source = cache_on(redis), Source()
    readers = [cache.get("hot", source.load, groups=["g"]) for _ in range(100)]
    assert set(await asyncio.gather(*readers)) == {"v1"}
    assert source.loads == 1


async def test_misses_in_two_processes_wait_for_one_load_through_the_redis_lock(
    redis: Redis,
) -> None:
    first = cache_on(redis)
    second = CacheAside(redis, name=first.name, breaker=CircuitBreaker("other"))  # another replica
    source = Source()
    source.gate.clear()
    one = asyncio.create_task(first.get("hot", source.load, groups=["g"]))
    await source.started.wait()
    other = asyncio.create_task(second.get("hot", source.load, groups=["g"]))
    await asyncio.wait({other}, timeout=0.2)  # the other replica polls meanwhile, loads nothing
    source.gate.set()
    assert [await one, await other] == ["v1", "v1"]
    assert source.loads == 1


async def test_a_load_that_raced_an_invalidation_is_not_stored(redis: Redis) -> None:
    cache, source = cache_on(redis), Source()
    source.gate.clear()
    racing = asyncio.create_task(cache.get("k", source.load, groups=["g"]))
    await source.started.wait()
    await cache.invalidate(["g"])  # the update committed while the old value was being read
    source.gate.set()
    assert await racing == "v1"  # that reader sees what it read …
    source.value = "v2"
    assert await cache.get("k", source.load, groups=["g"]) == "v2"  # … but did not cache it


async def test_a_stale_entry_is_served_while_one_reader_refreshes_it(redis: Redis) -> None:
    now = [1000.0]
    cache = CacheAside(
        redis,
        name=f"test-{uuid.uuid4().hex[:8]}",
        breaker=CircuitBreaker("stale"),
        ttl_s=10,
        stale_s=60,
        clock=lambda: now[0],
    )
    source = Source()
    await cache.get("k", source.load, groups=["g"])
    now[0] += 11  # past fresh, within stale
    source.value = "v2"
    source.gate.clear()
    source.started.clear()
    refresher = asyncio.create_task(cache.get("k", source.load, groups=["g"]))
    await source.started.wait()
    stale = await asyncio.wait_for(cache.get("k", source.load, groups=["g"]), timeout=5)
    assert stale == "v1"  # at once, not after the refresh
    source.gate.set()
    assert await refresher == "v2"
    assert source.loads == 2


async def test_an_unreachable_redis_opens_the_breaker_and_reads_come_from_the_source() -> None:
    dead = create_redis(RedisSettings(url=SecretStr("redis://127.0.0.1:9/0"), socket_timeout_s=0.2))
    breaker = CircuitBreaker("dead", max_consecutive_failures=3)
    cache, source = CacheAside(dead, name="dead", breaker=breaker), Source()
    try:
        for _ in range(5):
            assert await cache.get("k", source.load, groups=["g"]) == "v1"
        assert breaker.state is State.OPEN
        assert source.loads == 5
        with pytest.raises(CacheUnavailableError):
            await cache.invalidate(["g"])
    finally:
        await dead.aclose()


async def test_redis_failing_after_the_load_keeps_the_loaded_value_and_loads_once(
    stack: LocalStack, redis: Redis
) -> None:
    settings = RedisSettings(url=SecretStr(stack.redis.url()), socket_timeout_s=0.2)
    fragile = create_redis(settings)
    cache, source = cache_on(fragile), Source()

    async def load_then_stall_writes() -> str:
        value = await source.load()
        # Redis holds every write (the fill, the unlock) past the cache client's timeout
        await redis.client_pause(1000, all=False)
        return value

    try:
        assert await cache.get("k", load_then_stall_writes, groups=["g"]) == "v1"
        assert source.loads == 1
        assert await redis.get(f"{cache.name}:entry:k") is None  # served, not stored
    finally:
        await redis.client_unpause()
        await fragile.aclose()
