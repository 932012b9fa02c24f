"""A sliding-window rate limiter in Redis: at most `limit` admissions per key in any `window_s`.

Guarantee: for one key, no window of `window_s` seconds (by the Redis server's clock) ever holds
more than `limit` admitted calls, across every replica and process that shares the Redis, because
each decision is one Lua script (atomic in Redis) over a sorted set of the admissions' times: it
drops the entries older than the window, counts the rest, and admits (recording the call) only
below the limit. The window slides: there is no boundary at which a burst of twice the limit
slips through, as with fixed windows. Refused calls are not recorded, so a client that keeps
knocking is admitted again as soon as its oldest admission leaves the window — exactly the
`retry_after_s` the refusal carried (whole seconds, rounded up, at least 1: a `Retry-After`).

Time is the Redis server's (`TIME` inside the script), so replicas with skewed clocks agree.
Keys are hashed (SHA-256) before they reach Redis: an e-mail address or a client IP used as a key
is never stored or shown by `KEYS`. Each key's set expires one window after its last admission.

Failure behaviour: when Redis cannot answer (down, timeout, refused), `acquire` raises
`RateLimiterUnavailableError`; the caller decides between failing open and failing closed (the
identity service fails closed: a login it cannot count is refused with 503, never let through).

API (stable; the gateway reuses it): `SlidingWindowLimiter(redis, name=, limit=, window_s=)` and
`await limiter.acquire(key) -> Decision(allowed, retry_after_s, remaining)`.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from dataclasses import dataclass

from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError

decisions = Counter(
    "conveyor_rate_limit_decisions_total",
    "Rate-limiter decisions by limiter and outcome (allowed, denied, unavailable)",
    ["limiter", "decision"],
)

# KEYS[1]: the key's sorted set (member: a unique call id; score: admission time in µs).
# ARGV: limit, window in µs, the call's unique member. Returns {admitted, retry_after_us, left}.
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  return {1, 0, limit - count - 1}
end
local freeing = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
return {0, tonumber(freeing[2]) + window - now, 0}
"""


class RateLimiterUnavailableError(Exception):
    """Redis did not answer; nothing was counted. The caller chooses to fail open or closed."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_s: int  # 0 when allowed; else whole seconds (>= 1) until a call is admitted
    remaining: int  # admissions left in the current window after this one (0 when refused)


class SlidingWindowLimiter:
    """At most `limit` admissions per key in any sliding `window_s` (see the module docstring)."""

    def __init__(self, redis: Redis, *, name: str, limit: int, window_s: float) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError(f"rate limiter {name}: limit >= 1 and window_s > 0 are required")
        self.name, self.limit, self.window_s = name, limit, window_s
        self._redis = redis
        self._script = redis.register_script(_SLIDING_WINDOW)

    def _redis_key(self, key: str) -> str:
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return f"ratelimit:{self.name}:{digest}"

    async def acquire(self, key: str) -> Decision:
        """Admit and record one call for `key`, or refuse it with the wait until one would pass."""
        window_us = math.ceil(self.window_s * 1_000_000)
        try:
            admitted, retry_us, left = await self._script(
                keys=[self._redis_key(key)], args=[self.limit, window_us, uuid.uuid4().hex]
            )
        except (RedisError, OSError, TimeoutError) as exc:
            decisions.labels(self.name, "unavailable").inc()
            raise RateLimiterUnavailableError(
                f"rate limiter {self.name}: Redis did not answer ({type(exc).__name__})"
            ) from exc
        if int(admitted):
            decisions.labels(self.name, "allowed").inc()
            return Decision(allowed=True, retry_after_s=0, remaining=int(left))
        decisions.labels(self.name, "denied").inc()
        return Decision(
            allowed=False, retry_after_s=max(1, math.ceil(int(retry_us) / 1_000_000)), remaining=0
        )
