"""Put a service behind the fault proxy (or inside the chaos namespace) and take it back out.

Shared by the network scenarios: start Toxiproxy and the chaos bridge, create the proxies, restart
the service with its Kafka/PostgreSQL/provider addresses pointing at them (the supervisor's
`set_env`, optionally `set_netns`), and undo all of it. `release` is safe after a failed `capture`
and always leaves the service on its own addresses, the proxies reset, the namespace removed.
"""

from __future__ import annotations

import asyncio
import io
import time

from rich.console import Console

from loadtests.chaos.scenario import ChaosContext
from operators.local.faults.namespaces import ChaosNetwork, requirements
from operators.local.faults.routes import environment_through_proxy, proxies
from operators.local.faults.toxiproxy_api import ToxiproxyClient
from operators.local.installs import ensure_installed

READY_WITHIN_S = 60.0
RELEASE_STOP_S = 10.0


def toxiproxy(ctx: ChaosContext) -> ToxiproxyClient:
    return ToxiproxyClient(ctx.stack.toxiproxy.url)


def _prepare(ctx: ChaosContext, *, namespace: bool) -> None:
    console = Console(file=io.StringIO())
    network = ChaosNetwork(ctx.settings)
    ensure_installed(requirements(), console)
    if namespace:
        network.ensure_namespace()
    else:
        network.ensure_bridge()
    ctx.stack.toxiproxy.start(console)
    with toxiproxy(ctx) as client:
        client.reset()
        for proxy in proxies(ctx.settings):
            client.delete(proxy.name)  # listeners bound afresh on the (new) bridge's address
            client.ensure(proxy)


async def capture(
    ctx: ChaosContext, service: str, servers: tuple[str, ...], *, namespace: bool = False
) -> None:
    """Restart `service` with its traffic to `servers` through the proxies; wait until ready."""
    await asyncio.to_thread(_prepare, ctx, namespace=namespace)
    env = environment_through_proxy(ctx.stack, service, servers)
    ctx.workloads.set_env(service, env)
    if namespace:
        ctx.workloads.set_netns(service, ChaosNetwork(ctx.settings).addresses.namespace)
    await asyncio.to_thread(ctx.workloads.restart, service, ctx.settings.stop_timeout_s)
    ctx.notes[f"{service}_through_proxy"] = sorted(env)
    if not namespace:  # inside the namespace its HTTP port is not reachable from the host
        await ctx.wait_ready(service, 0, since=time.time(), within_s=READY_WITHIN_S)


async def release(ctx: ChaosContext, service: str) -> None:
    """The service back on its own addresses and on the host; proxies reset; namespace gone.

    Toxics go first, so the old process can still commit its offsets and leave its consumer group
    on the way out (a cut-off process would hold its partitions until the session times out).
    """
    if ctx.stack.toxiproxy.probe():
        with toxiproxy(ctx) as client:
            await asyncio.to_thread(client.reset)
    ctx.workloads.set_env(service, {})
    ctx.workloads.set_netns(service, None)
    # Bounded: a process stuck on a half-dead connection is killed (it must be crash-safe anyway).
    await asyncio.to_thread(ctx.workloads.restart, service, RELEASE_STOP_S)
    await asyncio.to_thread(ChaosNetwork(ctx.settings).teardown)
    await ctx.wait_ready(service, 0, since=time.time(), within_s=READY_WITHIN_S)
