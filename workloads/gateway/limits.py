"""The per-client rate limit at the door: a sliding window in Redis, shared by every replica.

The client is the verified subject when the request carries a valid token, else the peer
address. The window is `shared/ratelimit.py`'s (one Lua script, Redis's clock, hashed keys).
Over the limit: 429 with `Retry-After` (whole seconds until the window admits one more). Redis
down: the request is admitted (fail open, logged once per outage): the limit protects the
services from one greedy client, and refusing everyone while Redis is away would be worse.
"""

from __future__ import annotations

import logging

from workloads.gateway import metrics
from workloads.shared.problems import ProblemError
from workloads.shared.ratelimit import RateLimiterUnavailableError, SlidingWindowLimiter

log = logging.getLogger(__name__)


class ClientLimit:
    def __init__(self, limiter: SlidingWindowLimiter) -> None:
        self._limiter = limiter
        self._redis_down = False

    async def enforce(self, client: str) -> None:
        try:
            decision = await self._limiter.acquire(client)
        except RateLimiterUnavailableError as exc:
            if not self._redis_down:
                log.warning("rate limit not enforced while Redis is away: %s", exc)
            self._redis_down = True
            return
        self._redis_down = False
        if decision.allowed:
            return
        metrics.rejections.labels("rate_limited").inc()
        raise ProblemError(
            429, "Too many requests", "Slow down; see Retry-After.",
            headers={"Retry-After": str(decision.retry_after_s)},
        )  # fmt: skip
