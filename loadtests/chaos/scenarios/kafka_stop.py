"""(3) The Kafka broker stopped for 60 s, then started.

Orders keep being accepted into the order service's outbox; no step may time out meanwhile
(ADR 0019), so none of them may end CANCELLED for the outage. The window runs from the end of the
broker's controlled shutdown until it answers again.
"""

from __future__ import annotations

import random
from typing import Any

from loadtests.chaos.faults import start_server, stop_server
from loadtests.chaos.scenario import ChaosContext, FaultKind, Scenario

DOWN_S = 60.0


class KafkaStopped(Scenario):
    name = "kafka_stop"
    summary = "Kafka broker stopped 60 s, then started"

    def plan(self, rng: random.Random) -> dict[str, Any]:
        return {"down_s": DOWN_S}

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


SCENARIO = KafkaStopped()
