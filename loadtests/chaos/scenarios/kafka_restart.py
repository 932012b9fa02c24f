"""(4) The Kafka broker restarted under load: stopped and started again at once.

Plan: a drawn pause (0-3 s) between stop and start. The window runs from the stop until the
broker answers again; the clients reconnect, the outboxes drain.
"""

from __future__ import annotations

import random
from typing import Any

from loadtests.chaos.faults import start_server, stop_server
from loadtests.chaos.scenario import ChaosContext, FaultKind, Scenario


class KafkaRestarted(Scenario):
    name = "kafka_restart"
    summary = "Kafka broker restarted under load"

    def plan(self, rng: random.Random) -> dict[str, Any]:
        return {"pause_s": round(rng.uniform(0, 3), 1)}

    async def inject(self, ctx: ChaosContext) -> None:
        await stop_server(ctx.stack.kafka)  # a controlled shutdown: serving until it returns
        ctx.fault(FaultKind.BROKER_OUTAGE, "kafka")
        await ctx.hold_for(ctx.plan["pause_s"])

    async def heal(self, ctx: ChaosContext) -> None:
        try:
            await start_server(ctx.stack.kafka)
        finally:
            for window in ctx.open_windows():
                ctx.end(window)


SCENARIO = KafkaRestarted()
