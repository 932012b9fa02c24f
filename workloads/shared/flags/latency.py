"""Injected latency at a service's HTTP edge: `fault.<service>.latency-ms`, read per request.

Plain ASGI, outermost but for nothing: the wait comes before the request is handled, so a client
sees the whole delay, and health, readiness and metrics are never delayed (a slow probe would get
the pod restarted, which is a different fault). With the flag at 0 (its default) a request pays
one in-process flag evaluation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from workloads.shared.flags.client import Flags
from workloads.shared.flags.names import LATENCY, KnownFlag

EXEMPT = ("/health", "/metrics")


class InjectedLatency:
    def __init__(
        self,
        app: ASGIApp,
        *,
        flags: Flags,
        service: str,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.app = app
        self.flags = flags
        self.flag: KnownFlag | None = LATENCY.get(service)
        self.sleep = sleep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.flag is not None and scope["type"] == "http":
            path: str = scope["path"]
            if not path.startswith(EXEMPT):
                delay_ms = self.flags.number(self.flag)
                if delay_ms > 0:
                    await self.sleep(delay_ms / 1000)
        await self.app(scope, receive, send)
