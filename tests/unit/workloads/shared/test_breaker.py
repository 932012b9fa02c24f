"""The circuit breaker opens after consecutive failures, tries again after its timeout, closes."""

from __future__ import annotations

from workloads.shared.breaker import CircuitBreaker, State
from workloads.shared.resiliency import CircuitBreaker as Policy


def state(breaker: CircuitBreaker) -> State:
    """Read afresh (mypy would narrow `breaker.state` across the calls that change it)."""
    return breaker.state


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_consecutive_failures_open_it_and_a_success_between_them_resets_the_count() -> None:
    breaker = CircuitBreaker("redis", max_consecutive_failures=3, clock=Clock())
    breaker.failed()
    breaker.failed()
    breaker.succeeded()
    breaker.failed()
    breaker.failed()
    assert state(breaker) is State.CLOSED
    assert breaker.allow()
    breaker.failed()
    assert state(breaker) is State.OPEN
    assert not breaker.allow()


def test_after_its_timeout_it_lets_one_trial_through_which_closes_or_reopens_it() -> None:
    clock = Clock()
    breaker = CircuitBreaker("redis", max_consecutive_failures=1, open_s=2.0, clock=clock)
    breaker.failed()
    clock.now = 1.9
    assert not breaker.allow()
    clock.now = 2.0
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # only one at a time
    breaker.failed()
    assert state(breaker) is State.OPEN
    clock.now = 4.0
    assert breaker.allow()
    breaker.succeeded()
    assert state(breaker) is State.CLOSED
    assert breaker.allow()
    assert breaker.allow()


def test_the_pipeline_policy_sets_threshold_timeout_and_trials() -> None:
    policy = Policy(
        policy="cache",
        max_consecutive_failures=2,
        timeout="2s",
        timeout_seconds=2.0,
        half_open_requests=2,
    )
    clock = Clock()
    breaker = CircuitBreaker.from_spec("redis", policy)
    breaker._clock = clock
    breaker.failed()
    breaker.failed()
    assert state(breaker) is State.OPEN
    clock.now = 2.0
    assert breaker.allow()
    assert breaker.allow()
    assert not breaker.allow()
