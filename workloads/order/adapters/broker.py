"""Whether the broker has been reachable long enough for a step timeout to mean something.

A step deadline exists for a dependency that does not answer. While the platform's own broker is
away, no reply can arrive however healthy the other services are, so a deadline that runs out
then says nothing about them; cancelling the order would punish the customer for our outage.
`Reachability` remembers since when the broker has answered without a break; the sweeper fires
timeouts only once that is at least one step timeout, so after an outage (or a restart of this
process, which knows nothing yet) every waiting step gets a full step timeout of working broker.

`watch` probes with a metadata request on the service's producer connection (`leaders_known`),
bounded by a timeout; a broker that answers while some partition has no leader (shutting down,
or still electing after a restart) is not yet usable either. Any failure (Kafka error, socket
error, timeout, no leader) counts as unreachable until the next success. The probe never raises
out of `watch`: it is a background task that must not end.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.errors import KafkaError

log = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[object]]


class BrokerNotReadyError(Exception):
    """The broker answered, but is not ready to carry the saga's messages."""


async def leaders_known(client: Any) -> None:
    """One metadata request (aiokafka client); raises unless every partition has a leader."""
    cluster = await client.fetch_all_metadata()
    leaderless = sorted(
        topic
        for topic in cluster.topics()
        if cluster.available_partitions_for_topic(topic) != cluster.partitions_for_topic(topic)
    )
    if leaderless:
        raise BrokerNotReadyError(f"partitions without a leader in {', '.join(leaderless)}")


class Reachability:
    """Since when a dependency has answered without a break (None: it does not, or not yet)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._since: float | None = None

    def succeeded(self) -> None:
        if self._since is None:
            self._since = self.clock()

    def failed(self) -> None:
        self._since = None

    def steady_for(self, seconds: float) -> bool:
        """True once it has answered for at least `seconds` without a failure in between."""
        return self._since is not None and self.clock() - self._since >= seconds


async def probe_once(reachability: Reachability, probe: Probe, *, timeout_s: float) -> bool:
    """One bounded probe, recorded; True when the broker answered."""
    was_up = reachability.steady_for(0)
    try:
        await asyncio.wait_for(probe(), timeout_s)
    except (KafkaError, BrokerNotReadyError, OSError, TimeoutError) as exc:
        if was_up:
            log.warning("broker unreachable, step timeouts held back: %r", exc)
        reachability.failed()
        return False
    if not was_up:
        log.info("broker reachable; step timeouts resume after one full step timeout")
    reachability.succeeded()
    return True


async def watch(
    reachability: Reachability,
    probe: Probe,
    *,
    interval_s: float,
    timeout_s: float,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,  # tests pass fake time
) -> None:
    """Probe every `interval_s` for as long as the service runs."""
    while True:
        await probe_once(reachability, probe, timeout_s=timeout_s)
        await sleep(interval_s)
