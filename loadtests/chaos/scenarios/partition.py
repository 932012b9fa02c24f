"""(8) A network partition between a service and its dependencies, by iptables in a namespace.

Plan: payment or inventory, a mode (drop: packets vanish and connections hang; reject: resets;
loss: a random share of packets dropped, 30-70 %) and a duration of 10-20 s. The service is
restarted inside the chaos namespace with every dependency (Kafka, PostgreSQL, the card provider)
reached through the proxies on the bridge's address; the partition is rules in the namespace's
own iptables chain. Heal flushes them, brings the service back to the host and removes the
namespace, the veth pair and the bridge (teardown fails loudly if anything is left).
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from loadtests.chaos.proxied import capture, release
from loadtests.chaos.scenario import ChaosContext, FaultKind, Scenario
from operators.local.faults.addresses import PROXIED, proxy_port
from operators.local.faults.namespaces import ChaosNetwork


class Partition(Scenario):
    name = "partition"
    summary = "network partition of a service from its dependencies (iptables in a namespace)"

    def plan(self, rng: random.Random) -> dict[str, Any]:
        return {
            "service": rng.choice(("payment", "inventory")),
            "mode": rng.choice(("drop", "reject", "loss")),
            "probability": round(rng.uniform(0.3, 0.7), 2),
            "seconds": round(rng.uniform(10, 20), 1),
        }

    async def inject(self, ctx: ChaosContext) -> None:
        plan = ctx.plan
        await capture(ctx, plan["service"], PROXIED, namespace=True)
        network = ChaosNetwork(ctx.settings)
        ports = [proxy_port(ctx.settings, server) for server in PROXIED]
        probability = plan["probability"] if plan["mode"] == "loss" else 1.0
        # A hard cut leaves the service without its broker and database: judged as an outage.
        # Random loss degrades the path without cutting it.
        kind = FaultKind.NETWORK if plan["mode"] == "loss" else FaultKind.BROKER_OUTAGE
        window = ctx.fault(kind, f"{plan['service']} partitioned ({plan['mode']})")
        await asyncio.to_thread(
            network.partition, ports, mode=plan["mode"], probability=probability
        )
        ctx.notes["partition_rules"] = await asyncio.to_thread(network.rules)
        await ctx.hold_for(plan["seconds"])
        await asyncio.to_thread(network.heal)
        ctx.end(window)

    async def heal(self, ctx: ChaosContext) -> None:
        await release(ctx, ctx.plan["service"])
        for window in ctx.open_windows():
            ctx.end(window)


SCENARIO = Partition()
