"""Bounded retry for eventual consistency: the only way tests wait for something to happen.

A check is a function that asserts the observable condition (a row, a status, an HTTP answer)
and may return what it found. `eventually` calls it until it passes and returns its result; an
`AssertionError` means "not yet" and is retried every `every_s`; any other exception fails at once
(a wrong answer is not a late one). After `within_s` the last `AssertionError` is raised, so the
failure shows the last thing seen, not a bare timeout. Built on tenacity, like the services.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    Retrying,
    retry_if_exception_type,
    stop_after_delay,
    wait_fixed,
)

T = TypeVar("T")


async def eventually(
    check: Callable[[], Awaitable[T]], *, within_s: float = 10.0, every_s: float = 0.1
) -> T:
    """Await `check()` until it stops raising AssertionError; re-raise the last after `within_s`."""
    async for attempt in AsyncRetrying(
        stop=stop_after_delay(within_s),
        wait=wait_fixed(every_s),
        retry=retry_if_exception_type(AssertionError),
        reraise=True,
    ):
        with attempt:
            return await check()
    raise AssertionError("unreachable: tenacity re-raises the last failure")  # pragma: no cover


def eventually_sync(check: Callable[[], T], *, within_s: float = 10.0, every_s: float = 0.1) -> T:
    """The blocking twin of `eventually`, for tests that drive subprocesses or kubectl."""
    for attempt in Retrying(
        stop=stop_after_delay(within_s),
        wait=wait_fixed(every_s),
        retry=retry_if_exception_type(AssertionError),
        reraise=True,
    ):
        with attempt:
            return check()
    raise AssertionError("unreachable: tenacity re-raises the last failure")  # pragma: no cover
