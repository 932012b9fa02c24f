"""The bulkhead and the breaker together: a refused call never takes a half-open trial."""

from __future__ import annotations

from typing import Any

import pytest

from workloads.gateway.balancing import RoundRobin
from workloads.gateway.upstreams import Upstream
from workloads.shared.breaker import CircuitBreaker, State
from workloads.shared.problems import ProblemError


class _Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def _upstream(breaker: CircuitBreaker) -> Upstream:
    return Upstream(
        name="catalog", registry=None, balancer=RoundRobin(), breaker=breaker,  # type: ignore[arg-type]
        client=None, timeout_s=1, max_concurrent=1, max_wait_s=0,  # type: ignore[arg-type]
    )  # fmt: skip


async def test_a_call_the_bulkhead_refuses_leaves_the_half_open_trial_to_the_next_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = _Clock()
    breaker = CircuitBreaker("upstream:test", max_consecutive_failures=1, open_s=5, clock=clock)
    breaker.failed()
    clock.now = 10.0  # past the open time: half-open, one trial allowed
    assert breaker.state.value == State.HALF_OPEN.value
    upstream = _upstream(breaker)
    answered: list[str] = []

    async def attempts(*_: Any) -> Any:
        answered.append("called")
        return type("Answer", (), {"status_code": 200})()

    monkeypatch.setattr(upstream, "_attempts", attempts)
    await upstream.bulkhead.acquire()  # another call holds the only slot
    with pytest.raises(ProblemError) as refused:
        await upstream.call("GET", "/v1/products")
    assert refused.value.title == "Upstream busy"
    upstream.bulkhead.release()
    await upstream.call("GET", "/v1/products")  # the trial is still there, and it succeeds
    assert answered == ["called"]
    assert breaker.state.value == State.CLOSED.value
