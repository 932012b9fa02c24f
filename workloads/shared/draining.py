"""Draining before a stop: the process keeps serving for a while after SIGTERM, and says so.

Guarantee: with `SHUTDOWN_DRAIN_S` > 0, the first SIGTERM does not stop the server at once
(`runtime.serve`). For that many seconds the process answers every request as before, but each
answer carries `Connection: close` (edge.py), so a client holding a keep-alive connection closes
it after that answer and opens its next one elsewhere, instead of having the connection closed
under a request it is sending; `/health/ready` answers 503 with `"draining": true`. Then
uvicorn's graceful shutdown runs as before (in-flight requests finish, up to its timeout). A
second SIGTERM, or SIGINT, stops at once as before. In a cluster the operator sets
`SHUTDOWN_DRAIN_S` from `rollout.shutdownDelaySeconds` in place of a preStop sleep (ADR 0056);
locally it is 0: a restart stops at once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from functools import partial
from types import FrameType

import uvicorn

log = logging.getLogger(__name__)


class Drain:
    """Whether this process is draining (one per process: `DRAIN`)."""

    def __init__(self) -> None:
        self.started_at: float | None = None

    @property
    def active(self) -> bool:
        return self.started_at is not None

    def start(self) -> None:
        if self.started_at is None:
            self.started_at = time.monotonic()


DRAIN = Drain()


class DrainingServer(uvicorn.Server):
    """uvicorn's server whose first SIGTERM drains for `drain_s` before the graceful stop."""

    def __init__(self, config: uvicorn.Config, *, drain_s: float) -> None:
        super().__init__(config)
        self._drain_s = drain_s

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig != signal.SIGTERM or self._drain_s <= 0 or DRAIN.active:
            super().handle_exit(sig, frame)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not serving yet: nothing to drain
            super().handle_exit(sig, frame)
            return
        DRAIN.start()
        log.info(
            "SIGTERM: draining for %.1f s (ready 503, Connection: close), then stopping",
            self._drain_s,
        )
        stop = partial(super().handle_exit, sig, frame)
        # a signal handler may interrupt the loop anywhere: hand the timer over thread-safely
        loop.call_soon_threadsafe(loop.call_later, self._drain_s, stop)
