"""The bounded-retry helper: retries "not yet", stops on a wrong answer, and gives up in time."""

from __future__ import annotations

import pytest

from tests.support.eventually import eventually, eventually_sync


async def test_returns_the_first_result_that_passes() -> None:
    seen: list[int] = []

    async def check() -> int:
        seen.append(len(seen))
        assert len(seen) >= 3, "not yet"
        return len(seen)

    assert await eventually(check, within_s=5, every_s=0) == 3


async def test_raises_the_last_assertion_when_time_runs_out() -> None:
    async def never() -> None:
        raise AssertionError("still pending")

    with pytest.raises(AssertionError, match="still pending"):
        await eventually(never, within_s=0.05, every_s=0.01)


def test_other_errors_fail_at_once() -> None:
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise ValueError("wrong answer")

    with pytest.raises(ValueError, match="wrong answer"):
        eventually_sync(broken, within_s=5, every_s=0)
    assert calls == [1]
