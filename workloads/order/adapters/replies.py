"""When each dependency of the saga last answered: a step waiting behind a queue is not timed out.

A step deadline says "the dependency does not answer". After an outage (or under a burst) the
dependency may be answering steadily, one order after another, with this order's command still
queued behind thousands on its partition; timing it out then cancels a customer's order for a
backlog we caused. So the sweeper asks `progressing(step)`: did the service this step waits for
answer any order within the last `window_s`? If so the deadline is moved by one step timeout
instead of fired, for at most `saga_queue_wait_max_s` since the step began, after which it
fires anyway (a dependency that answers others but never this order is a fault to surface).

In-process and per replica: replies feed it as the consumers apply them (`saw`); a replica that
consumes no partition of a reply topic sees none and times out as before. Lost on restart,
which the sweeper's start-up hold covers (`jobs`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from workloads.order.domain.order import Step

# Which service answers each step, and the replies that show it answering.
SERVICE_OF_STEP = {
    Step.RESERVING_INVENTORY: "inventory",
    Step.RELEASING_INVENTORY: "inventory",
    Step.PROCESSING_PAYMENT: "payment",
    Step.REFUNDING_PAYMENT: "payment",
}
SERVICE_OF_REPLY = {
    "InventoryReserved": "inventory",
    "InventoryReservationFailed": "inventory",
    "InventoryReleased": "inventory",
    "PaymentCompleted": "payment",
    "PaymentFailed": "payment",
    "PaymentRefunded": "payment",
}


class RecentReplies:
    def __init__(self, *, window_s: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self.window_s = window_s
        self._clock = clock
        self._last: dict[str, float] = {}

    def saw(self, event_type: str) -> None:
        service = SERVICE_OF_REPLY.get(event_type)
        if service is not None:
            self._last[service] = self._clock()

    def progressing(self, step: Step) -> bool:
        last = self._last.get(SERVICE_OF_STEP[step])
        return last is not None and self._clock() - last <= self.window_s


RECENT = RecentReplies()  # the process's own: fed by consumers.py, read by the sweeper
