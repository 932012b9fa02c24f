"""The sweeper fires no step timeout until the broker has been reachable for a full step."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest
from pydantic import SecretStr

from workloads.order import handlers, jobs
from workloads.order.adapters.broker import Reachability
from workloads.order.adapters.lag import Backlog, LagReader
from workloads.order.settings import OrderSettings
from workloads.shared.runtime import Runtime


async def _count(*_args: Any, **_kwargs: Any) -> int:
    return 0


async def _overdue(*_args: Any) -> bool:
    return True


async def _no_backlog() -> Backlog:
    return Backlog({})


def _settings(step_s: float = 10, recovery_s: float = 6) -> OrderSettings:
    return OrderSettings(
        database_url=SecretStr("postgresql://unit.invalid/none"),
        saga_step_timeout_s=step_s,
        saga_broker_recovery_s=recovery_s,
    )


async def _run(
    monkeypatch: pytest.MonkeyPatch, clock: Clock, broker: Reachability, ticks: int,
    *, sweep: Callable[..., Awaitable[int]], database_answers: Callable[..., Awaitable[None]],
) -> list[tuple[float, str]]:  # fmt: skip
    """Run the sweeper `ticks` seconds of fake time; what it called, and when."""
    calls: list[tuple[float, str]] = []

    async def restart(*_args: Any, **_kwargs: Any) -> int:
        calls.append((clock.now, "restart_step_clocks"))
        return 3

    async def swept(*args: Any, **kwargs: Any) -> int:
        calls.append((clock.now, "sweep"))
        return await sweep(*args, **kwargs)

    async def sleep(_seconds: float) -> None:
        clock.now += 1
        if clock.now > ticks:
            raise asyncio.CancelledError

    monkeypatch.setattr(handlers, "time_out_overdue_steps", swept)
    monkeypatch.setattr(handlers, "restart_step_clocks", restart)
    monkeypatch.setattr(handlers, "database_answers", database_answers)
    monkeypatch.setattr(handlers, "any_overdue", _overdue)
    runtime = cast(Runtime, SimpleNamespace(pool=None))
    lags = cast(LagReader, SimpleNamespace(snapshot=_no_backlog))
    with pytest.raises(asyncio.CancelledError):
        await jobs.sweep_timeouts(runtime, _settings(), reachability=broker, lags=lags, sleep=sleep)
    return calls


async def test_when_a_hold_ends_every_waiting_step_gets_a_full_step_before_any_sweep(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    broker = Reachability(clock=clock)
    broker.succeeded()
    calls = await _run(monkeypatch, clock, broker, 14, sweep=_count, database_answers=_count_none)
    assert calls[0] == (10, "restart_step_clocks"), calls
    assert calls[1] == (10, "sweep"), calls
    assert [c for c in calls if c[1] == "restart_step_clocks"] == [calls[0]], "restarted again"


async def test_a_database_outage_holds_the_sweeper_without_ending_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database goes away at t=12 for three seconds (the sweep raises what asyncpg raises
    then): no crash, no sweep until it has answered a full step again, then clocks restart."""
    clock = Clock()
    broker = Reachability(clock=clock)
    broker.succeeded()

    async def sweep(*_args: Any, **_kwargs: Any) -> int:
        if 12 <= clock.now < 15:
            raise ConnectionRefusedError("database away")
        return 0

    async def answers(*_args: Any, **_kwargs: Any) -> None:
        if 12 <= clock.now < 15:
            raise ConnectionRefusedError("database away")

    calls = await _run(monkeypatch, clock, broker, 40, sweep=sweep, database_answers=answers)
    restarts = [t for t, name in calls if name == "restart_step_clocks"]
    sweeps = [t for t, name in calls if name == "sweep"]
    assert restarts == [10, 25], calls  # held from t=12; steady again from t=15 for 10 s
    assert not [t for t in sweeps if 12 < t < 25], f"swept during the hold: {sweeps}"
    assert max(sweeps) == 40, "the sweeper did not go on after the outage"


async def _count_none(*_args: Any, **_kwargs: Any) -> None:
    return None


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
    monkeypatch.setattr(handlers, "restart_step_clocks", _count)
    monkeypatch.setattr(handlers, "database_answers", _count)
    monkeypatch.setattr(handlers, "any_overdue", _overdue)
    runtime = cast(Runtime, SimpleNamespace(pool=None))
    lags = cast(LagReader, SimpleNamespace(snapshot=_no_backlog))
    with pytest.raises(asyncio.CancelledError):
        await jobs.sweep_timeouts(runtime, settings, reachability=reachable, lags=lags, sleep=sleep)
    assert swept_at, "the sweeper never ran once the broker was steady"
    assert min(swept_at) == 5 + steady_s, f"timeouts fired before the broker was steady: {swept_at}"
