"""The sweeper fires no step timeout until the broker has been reachable for a full step."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest
from pydantic import SecretStr

from workloads.order import handlers, jobs
from workloads.order.adapters.broker import Reachability
from workloads.order.settings import OrderSettings
from workloads.shared.runtime import Runtime


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("step_s", "recovery_s", "steady_s"), [(10, 6, 10), (4, 12, 12)])
async def test_timeouts_wait_for_a_full_step_and_the_recovery_time_of_reachable_broker(
    monkeypatch: pytest.MonkeyPatch, step_s: float, recovery_s: float, steady_s: float
) -> None:
    settings = OrderSettings(
        database_url=SecretStr("postgresql://unit.invalid/none"),
        saga_step_timeout_s=step_s,
        saga_broker_recovery_s=recovery_s,
    )
    clock = Clock()
    reachable = Reachability(clock=clock)
    swept_at: list[float] = []

    async def sweep(*_args: Any, **_kwargs: Any) -> int:
        swept_at.append(clock.now)
        return 0

    script: Iterator[Callable[[], None]] = iter(
        [
            lambda: None,  # the broker has not answered yet
            reachable.succeeded,  # it answers at t=2
            lambda: None,
            reachable.failed,  # gone again at t=4: the period starts over at t=5
            reachable.succeeded,
            *[lambda: None] * 12,
        ]
    )

    async def sleep(_seconds: float) -> None:
        clock.now += 1
        step = next(script, None)
        if step is None:
            raise asyncio.CancelledError
        step()

    monkeypatch.setattr(handlers, "time_out_overdue_steps", sweep)
    runtime = cast(Runtime, SimpleNamespace(pool=None))
    with pytest.raises(asyncio.CancelledError):
        await jobs.sweep_timeouts(runtime, settings, reachability=reachable, sleep=sleep)
    assert swept_at, "the sweeper never ran once the broker was steady"
    assert min(swept_at) == 5 + steady_s, f"timeouts fired before the broker was steady: {swept_at}"
