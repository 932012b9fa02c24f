"""The bulkhead in front of one upstream: at most `limit` calls in flight, a short bounded wait.

Guarantee: never more than `limit` calls in flight. A call that finds every slot taken waits up
to `max_wait_s` for one, first come first served, behind at most `limit` other waiters; a slot
freed while calls wait is handed straight to the longest-waiting one, so a newcomer cannot jump
the queue. A call refused (`BulkheadFullError`) waited at most `max_wait_s`, or not at all when
the queue was full or `max_wait_s` is 0 — so a slow upstream still costs the gateway at most
`2 * limit` pending calls and never an unbounded wait, while a burst of a few milliseconds (a
healthy service's pause, a herd of clients arriving together) is absorbed instead of refused.

Failure behaviour: a waiter cancelled (its client went away) leaves the queue; one cancelled
just after it was handed a slot gives the slot on, so no slot is ever lost.
"""

from __future__ import annotations

import asyncio
from collections import deque


class BulkheadFullError(Exception):
    """Every slot stayed taken for the whole wait (or the queue was full)."""


class Bulkhead:
    def __init__(self, limit: int, *, max_wait_s: float) -> None:
        if limit < 1 or max_wait_s < 0:
            raise ValueError("a bulkhead needs a limit of at least 1 and a wait of at least 0")
        self.limit = limit
        self.max_wait_s = max_wait_s
        self.in_flight = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def acquire(self) -> None:
        """Take a slot, waiting at most `max_wait_s`; BulkheadFullError when none came."""
        if self.in_flight < self.limit and not self._waiting:
            self.in_flight += 1
            return
        if self.max_wait_s == 0 or len(self._waiting) >= self.limit:
            raise BulkheadFullError
        slot: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(slot)
        try:
            await asyncio.wait({slot}, timeout=self.max_wait_s)
        except BaseException:
            self._leave_queue(slot)
            raise
        if not slot.done():
            self._leave_queue(slot)
            raise BulkheadFullError
        # handed over by release(): in_flight already counts this call

    def release(self) -> None:
        """Give the slot back: to the longest waiter if there is one, else free it."""
        while self._waiting:
            slot = self._waiting.popleft()
            if not slot.done():
                slot.set_result(None)
                return
        self.in_flight -= 1

    def _leave_queue(self, slot: asyncio.Future[None]) -> None:
        if slot.done() and not slot.cancelled():
            self.release()  # a slot was handed over as this call gave up: pass it on
            return
        slot.cancel()
        if slot in self._waiting:
            self._waiting.remove(slot)
