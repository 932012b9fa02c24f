"""The fault-making moves scenarios share: signal a replica, stop and start a server.

Each blocks only a worker thread (servers start synchronously) and raises when the target is not
there to hurt (a missing pid is a broken scenario, not a passed one).
"""

from __future__ import annotations

import asyncio
import io
import os
import signal

from rich.console import Console
from tenacity import AsyncRetrying, stop_after_attempt, wait_fixed

from loadtests.chaos.scenario import ChaosContext
from operators.local.servers.base import Server


def signal_replica(ctx: ChaosContext, name: str, replica: int, sig: signal.Signals) -> int:
    """Send `sig` to a running replica; its pid."""
    pid = ctx.workloads.process(name, replica).pid()
    if pid is None:
        raise RuntimeError(f"{name}-{replica} has no running process to send {sig.name} to")
    os.kill(pid, sig)
    return pid


async def stop_server(server: Server) -> None:
    await asyncio.to_thread(server.stop)


async def start_server(server: Server) -> None:
    """Start (idempotent) until it answers and its content is declared; three tries, since on a
    busy machine a just-started broker may time out its first admin requests."""
    async for attempt in AsyncRetrying(
        stop=stop_after_attempt(3), wait=wait_fixed(2), reraise=True
    ):
        with attempt:
            await asyncio.to_thread(server.start, Console(file=io.StringIO()))
