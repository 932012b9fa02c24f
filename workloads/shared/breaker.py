"""A circuit breaker around calls to one dependency: stop calling it while it keeps failing.

Closed: every call goes through; `max_consecutive_failures` failures in a row open it. Open: no
call goes through (`allow()` is False, the caller takes its fallback at once instead of waiting on
a dead server) until `open_s` has passed; then half-open: up to `half_open_requests` trial calls
go through. A trial that succeeds closes the breaker, one that fails opens it again for another
`open_s`. The policy comes from the pipeline (`resiliency.CircuitBreaker`: maxConsecutiveFailures,
timeout, halfOpenRequests); `from_spec` keeps built-in defaults when it names none.

One breaker per process and target, used from one event loop, so no locking. The state is the
gauge `conveyor_circuit_breaker_state{target}` (0 closed, 1 half-open, 2 open) and every change of
state is counted in `conveyor_circuit_breaker_transitions_total{target,to}` and logged once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from enum import IntEnum

from workloads.shared import metrics
from workloads.shared.resiliency import CircuitBreaker as BreakerPolicy

log = logging.getLogger(__name__)


class State(IntEnum):
    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitBreaker:
    def __init__(
        self,
        target: str,
        *,
        max_consecutive_failures: int = 5,
        open_s: float = 5.0,
        half_open_requests: int = 1,
        clock: Callable[[], float] = time.monotonic,  # tests pass fake time
    ) -> None:
        self.target = target
        self._threshold = max_consecutive_failures
        self._open_s = open_s
        self._trials_allowed = half_open_requests
        self._clock = clock
        self._state = State.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trials = 0
        metrics.breaker_state.labels(target).set(State.CLOSED)

    @classmethod
    def from_spec(
        cls,
        target: str,
        policy: BreakerPolicy | None,
        *,
        default_open_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> CircuitBreaker:
        if policy is None:
            return cls(target, open_s=default_open_s, clock=clock)
        return cls(
            target,
            max_consecutive_failures=policy.max_consecutive_failures,
            open_s=policy.timeout_seconds,
            half_open_requests=policy.half_open_requests,
            clock=clock,
        )

    @property
    def state(self) -> State:
        if self._state is State.OPEN and self._clock() - self._opened_at >= self._open_s:
            self._move(State.HALF_OPEN)
            self._trials = 0
        return self._state

    def allow(self) -> bool:
        """May a call go through now? (In half-open, this claims one of the trial calls.)"""
        state = self.state
        if state is State.CLOSED:
            return True
        if state is State.HALF_OPEN and self._trials < self._trials_allowed:
            self._trials += 1
            return True
        return False

    def succeeded(self) -> None:
        self._failures = 0
        if self._state is not State.CLOSED:
            self._move(State.CLOSED)

    def failed(self) -> None:
        self._failures += 1
        if self._state is State.HALF_OPEN or (
            self._state is State.CLOSED and self._failures >= self._threshold
        ):
            self._opened_at = self._clock()
            self._move(State.OPEN)

    def _move(self, to: State) -> None:
        if to is self._state:
            return
        level = logging.WARNING if to is State.OPEN else logging.INFO
        log.log(level, "circuit breaker %s: %s -> %s", self.target, self._state.name, to.name)
        self._state = to
        metrics.breaker_state.labels(self.target).set(to)
        metrics.breaker_transitions.labels(self.target, to.name.lower()).inc()
