"""The sliding-window limiter against the local stack's real Redis.

Each test uses a limiter name of its own (the key prefix), so tests never share windows. Waiting
for a window to slide is `eventually` (never a sleep), with bounds generous for a loaded machine.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from operators.local.stack import LocalStack
from tests.support.eventually import eventually
from workloads.shared.cache import RedisSettings, create_redis
from workloads.shared.ratelimit import (
    RateLimiterUnavailableError,
    SlidingWindowLimiter,
)


@pytest.fixture
async def redis(stack: LocalStack) -> AsyncIterator[Redis]:
    client = create_redis(RedisSettings(url=SecretStr(stack.redis.url())))
    try:
        yield client
    finally:
        await client.aclose()


def limiter_on(redis: Redis, *, limit: int, window_s: float) -> SlidingWindowLimiter:
    return SlidingWindowLimiter(
        redis, name=f"test-{uuid.uuid4().hex[:8]}", limit=limit, window_s=window_s
    )


async def test_the_limit_is_admitted_and_the_next_call_refused_with_its_wait(
    redis: Redis,
) -> None:
    limiter = limiter_on(redis, limit=3, window_s=60)
    admitted = [await limiter.acquire("alice") for _ in range(3)]
    assert [d.allowed for d in admitted] == [True, True, True]
    assert [d.remaining for d in admitted] == [2, 1, 0]
    refused = await limiter.acquire("alice")
    assert not refused.allowed
    assert 1 <= refused.retry_after_s <= 60


async def test_keys_are_counted_apart(redis: Redis) -> None:
    limiter = limiter_on(redis, limit=1, window_s=60)
    assert (await limiter.acquire("alice")).allowed
    assert not (await limiter.acquire("alice")).allowed
    assert (await limiter.acquire("bob")).allowed


async def test_concurrent_calls_never_admit_more_than_the_limit(redis: Redis) -> None:
    limiter = limiter_on(redis, limit=10, window_s=60)
    other_process = SlidingWindowLimiter(
        redis, name=limiter.name, limit=limiter.limit, window_s=limiter.window_s
    )
    calls = [(limiter if i % 2 else other_process).acquire("hot") for i in range(60)]
    decisions = await asyncio.gather(*calls)
    assert sum(d.allowed for d in decisions) == 10


async def test_the_window_slides_one_admission_at_a_time(redis: Redis) -> None:
    """Two calls, a third half a window later: the first two leave the window, the third stays."""
    limiter = limiter_on(redis, limit=3, window_s=3)
    start = await server_time(redis)
    assert (await limiter.acquire("k")).allowed
    assert (await limiter.acquire("k")).allowed

    async def half_a_window_passed() -> None:
        assert await server_time(redis) - start >= 1.5

    await eventually(half_a_window_passed, within_s=30)
    assert (await limiter.acquire("k")).allowed
    refused = await limiter.acquire("k")
    assert not refused.allowed
    assert 1 <= refused.retry_after_s <= 3

    async def admitted() -> int:
        decision = await limiter.acquire("k")
        assert decision.allowed
        return decision.remaining

    # the third call is still counted: one admission left, not a fresh window of three
    assert await eventually(admitted, within_s=30) == 1


async def server_time(redis: Redis) -> float:
    seconds, micros = await redis.time()
    return seconds + micros / 1_000_000


async def test_the_raw_key_is_never_stored_in_redis(redis: Redis) -> None:
    limiter = limiter_on(redis, limit=5, window_s=60)
    await limiter.acquire("alice@example.com")
    keys = [key async for key in redis.scan_iter(match=f"ratelimit:{limiter.name}:*")]
    assert len(keys) == 1
    assert "alice" not in keys[0]
    assert await redis.ttl(keys[0]) > 0  # the window's set expires on its own


async def test_an_unreachable_redis_raises_and_counts_nothing() -> None:
    down = create_redis(RedisSettings(url=SecretStr("redis://127.0.0.1:1/0"), socket_timeout_s=0.5))
    try:
        limiter = SlidingWindowLimiter(down, name="test-down", limit=1, window_s=60)
        with pytest.raises(RateLimiterUnavailableError, match="Redis did not answer"):
            await limiter.acquire("k")
    finally:
        await down.aclose()
