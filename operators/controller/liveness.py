"""The liveness check behind the `watch` probe: is the OrderPipeline watch still delivering?

A replica that a live, higher-priority peer outranks is on standby and receives no events by
design, so it answers "standby". Otherwise it lists the OrderPipelines and compares their
resourceVersions with what the watch delivered (`watch_health`): an object the watch has been
behind on for longer than the grace raises, which fails the probe (HTTP 500) and gets the
operator restarted. Failure behaviour: an unreadable peering object counts as no peers; an HTTP
error while listing answers "unknown", which is not a reason to restart.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx2
from lightkube import ALL_NS, ApiError

from operators.controller.children import OrderPipelineResource, plain
from operators.controller.state import OperatorState
from operators.controller.watch_health import outranked
from operators.controller.watched import PEERING, ClusterKopfPeering


class StaleWatchError(RuntimeError):
    """The watch stream has not delivered a listed change within the grace period."""


async def watch_liveness(state: OperatorState) -> str:
    """ "standby", "unknown" or "watching"; raises StaleWatchError when the watch went silent."""
    client = state.children.client
    try:
        peering = await client.get(ClusterKopfPeering, PEERING)
        peers = plain(peering).get("status") or {}
    except ApiError:
        peers = {}
    if outranked(peers, own_priority=state.priority, now=datetime.now(UTC)):
        return "standby"
    listed: dict[str, str] = {}
    try:
        async for item in client.list(OrderPipelineResource, namespace=ALL_NS):
            body = plain(item)
            listed[body["metadata"]["uid"]] = str(body["metadata"]["resourceVersion"])
    except httpx2.HTTPError:
        return "unknown"
    stale = state.health.stale(listed, time.monotonic())
    if stale:
        raise StaleWatchError(f"watch stream stale: {len(stale)} OrderPipeline change(s) not seen")
    return "watching"
