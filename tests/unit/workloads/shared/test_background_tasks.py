"""A service's background tasks are crash-only: one that fails, or ends cancelled while the
process is serving, ends the process (SIGTERM to itself) so its supervisor restarts it; a task
that stopped silently would freeze what it maintains. Cancelled by the shutdown, nothing happens."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any, cast

import pytest

from workloads.shared import runtime


def _runtime() -> runtime.Runtime:
    nothing = cast(Any, None)
    return runtime.Runtime(
        settings=nothing, pool=nothing, producer=nothing, kafka=nothing, relay=nothing
    )


async def _forever() -> None:
    await asyncio.Event().wait()


async def _fails() -> None:
    raise RuntimeError("a bug")


async def _returns() -> None:
    return None


@pytest.fixture
def kills(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(os, "kill", lambda pid, sig: sent.append((pid, sig)))
    return sent


async def _settle(task: asyncio.Task[None]) -> None:
    """Until the task's done callbacks have run: ours is added after spawn's, so runs after it."""
    ran: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    task.add_done_callback(lambda _task: ran.set_result(None))
    await ran


async def test_a_task_cancelled_while_serving_ends_the_process(
    kills: list[tuple[int, int]],
) -> None:
    service = _runtime()
    service.spawn("open-orders", _forever())
    service.tasks[0].cancel()
    await _settle(service.tasks[0])
    assert kills == [(os.getpid(), signal.SIGTERM)]


async def test_a_task_that_fails_ends_the_process(kills: list[tuple[int, int]]) -> None:
    service = _runtime()
    service.spawn("relay", _fails())
    await _settle(service.tasks[0])
    assert kills == [(os.getpid(), signal.SIGTERM)]


async def test_the_shutdown_cancelling_tasks_or_a_task_that_returns_ends_nothing(
    kills: list[tuple[int, int]],
) -> None:
    service = _runtime()
    service.spawn("kafka-clients", _returns())
    service.spawn("open-orders", _forever())
    service.stopping = True
    service.tasks[1].cancel()
    for task in service.tasks:
        await _settle(task)
    assert kills == []
