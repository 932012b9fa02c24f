"""(3, 4) The Kafka broker stopped, then started: 60 s (`kafka_stop`) or at once (`kafka_restart`).

One scenario, two registered names that differ only in how long the broker stays down. Orders
keep being accepted into the order service's outbox; no step may time out meanwhile (ADR 0019),
so none of them may end CANCELLED for the outage. The window runs from the end of the broker's
controlled shutdown until it answers again; the clients reconnect and the outboxes drain.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from loadtests.chaos.faults import start_server, stop_server
from loadtests.chaos.scenario import ChaosContext, FaultKind, Scenario


class KafkaOutage(Scenario):
    def __init__(self, name: str, summary: str, *, down_s: Callable[[random.Random], float]):
        self.name = name
        self.summary = summary
        self._down_s = down_s  # drawn from the run's seed (or fixed)

    def plan(self, rng: random.Random) -> dict[str, Any]:
        return {"down_s": self._down_s(rng)}

    async def inject(self, ctx: ChaosContext) -> None:
        await stop_server(ctx.stack.kafka)  # a controlled shutdown: serving until it returns
        ctx.fault(FaultKind.BROKER_OUTAGE, "kafka")
        await ctx.hold_for(ctx.plan["down_s"])

    async def heal(self, ctx: ChaosContext) -> None:
        try:
            await start_server(ctx.stack.kafka)
        finally:
            for window in ctx.open_windows():
                ctx.end(window)
