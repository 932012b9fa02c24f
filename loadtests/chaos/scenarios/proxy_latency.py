"""(7) Latency, then timeouts, between a service and Kafka or PostgreSQL, through Toxiproxy.

Plan: the service (payment or inventory), the server (kafka or postgres), a latency with jitter
(200-800 ms each way) held 8-15 s, then a `timeout` toxic (the proxy stops forwarding and closes
the connection after 2-5 s) held 5-10 s. The service is restarted with that server's address
pointing at the proxy first (for Kafka, the broker's PROXIED listener keeps it behind the proxy
after the first metadata fetch); heal removes every toxic and puts it back on its own addresses.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from loadtests.chaos.proxied import capture, release, toxiproxy
from loadtests.chaos.scenario import ChaosContext, FaultKind, Scenario

KIND = {"kafka": FaultKind.BROKER_OUTAGE, "postgres": FaultKind.DATABASE_OUTAGE}


class ProxyLatency(Scenario):
    name = "proxy-latency"
    summary = "latency, then timeouts, between a service and Kafka or PostgreSQL (Toxiproxy)"

    def plan(self, rng: random.Random) -> dict[str, Any]:
        return {
            "service": rng.choice(("payment", "inventory")),
            "server": rng.choice(("kafka", "postgres")),
            "latency_ms": rng.randint(200, 800),
            "jitter_ms": rng.randint(0, 100),
            "latency_s": round(rng.uniform(8, 15), 1),
            "timeout_ms": rng.randint(2000, 5000),
            "timeout_s": round(rng.uniform(5, 10), 1),
        }

    async def inject(self, ctx: ChaosContext) -> None:
        plan = ctx.plan
        await capture(ctx, plan["service"], (plan["server"],))
        target = f"{plan['service']}->{plan['server']}"
        window = ctx.fault(FaultKind.NETWORK, target)
        with toxiproxy(ctx) as client:
            for stream in ("upstream", "downstream"):
                attributes = {"latency": plan["latency_ms"], "jitter": plan["jitter_ms"]}
                await asyncio.to_thread(
                    client.add_toxic, plan["server"], "latency", attributes, stream=stream
                )
            await ctx.hold_for(plan["latency_s"])
            ctx.end(window)
            window = ctx.fault(KIND[plan["server"]], target)  # a timeout is an outage
            await asyncio.to_thread(
                client.add_toxic, plan["server"], "timeout", {"timeout": plan["timeout_ms"]}
            )
            await ctx.hold_for(plan["timeout_s"])

    async def heal(self, ctx: ChaosContext) -> None:
        await release(ctx, ctx.plan["service"])
        for window in ctx.open_windows():
            ctx.end(window)


SCENARIO = ProxyLatency()
