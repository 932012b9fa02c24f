"""The per-client rate limit at the door: a sliding window in Redis, shared by every replica.

The client is the verified subject when the request carries a valid token, else the peer
address. Over the limit: 429 with `Retry-After` (whole seconds until the window admits one
more). Redis down: the request is admitted (fail open, logged by the limiter): the limit protects
the services from one greedy client, and refusing everyone while Redis is away would be worse.
"""

from __future__ import annotations

import math
from typing import Protocol

from workloads.gateway import metrics
from workloads.shared.problems import ProblemError


class Limiter(Protocol):
    async def retry_after(self, client: str) -> float | None:
        """None: admitted (and counted); else seconds until the client may try again."""
        ...


async def enforce(limiter: Limiter, client: str) -> None:
    wait = await limiter.retry_after(client)
    if wait is None:
        return
    metrics.rejections.labels("rate_limited").inc()
    raise ProblemError(
        429, "Too many requests", "Slow down; see Retry-After.",
        headers={"Retry-After": str(max(1, math.ceil(wait)))},
    )  # fmt: skip
