"""The open-orders gauges (the saga-completion SLI's input) never freeze: a database that hangs
or drops the connection skips one round, and the next round reads again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any, cast

import asyncpg
import pytest

from workloads.order import jobs
from workloads.order import metrics as saga_metrics
from workloads.order.adapters import store
from workloads.shared.runtime import Runtime


class FlakyPool:
    """`acquire()` misbehaves as told on the first calls, then hands out a connection."""

    def __init__(self, *first: Callable[[], Any]) -> None:
        self.first = list(first)
        self.calls = 0

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[object]:
        self.calls += 1
        if self.first:
            await self.first.pop(0)()
        yield object()


async def _hangs() -> None:
    await asyncio.Event().wait()  # a pool slot that never comes


async def _connection_lost() -> None:
    raise asyncpg.InterfaceError("connection is closed")


async def _rounds(pool: FlakyPool, rounds: int, monkeypatch: pytest.MonkeyPatch) -> None:
    async def counted(_conn: object) -> tuple[int, float]:
        return 3, 42.0

    async def sleep(_seconds: float) -> None:
        if pool.calls >= rounds:
            raise asyncio.CancelledError

    monkeypatch.setattr(store, "open_orders", counted)
    saga_metrics.open_orders.set(0)
    saga_metrics.open_oldest_age.set(0)
    runtime = cast(Runtime, SimpleNamespace(pool=pool))
    watching = jobs.watch_open_orders(runtime, sleep=sleep, timeout_s=0.05)
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(watching, 5)  # a frozen watcher fails here, not at pytest's limit


@pytest.mark.parametrize("failure", [_hangs, _connection_lost], ids=["hangs", "connection-lost"])
async def test_a_failed_round_is_skipped_and_the_next_one_sets_the_gauges(
    failure: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = FlakyPool(failure)
    await _rounds(pool, 2, monkeypatch)
    assert pool.calls == 2
    assert saga_metrics.open_orders._value.get() == 3
    assert saga_metrics.open_oldest_age._value.get() == 42.0
