"""Upstream discovery: the replicas of each workload, and which of them answer now.

Where the addresses come from (ADR 0034): locally, the runner's registry file
(`.local/run/registry.json`, `{workload: [base URL, ...]}`), rewritten whenever a workload's
desired replicas change and re-read here whenever its content differs from the last good read
(compared byte for byte each check, so a rewrite within the same clock tick, or with an older
timestamp, is never missed); in a cluster, the `<WORKLOAD>_URL` Service names the operator
renders (the Service balances over its endpoints, which Kubernetes keeps to the ready pods).

Active health checks (ADR 0053): every `interval_s`, each replica's `/health/live` is asked with
a short timeout. A refused connection means nothing listens there: the replica is out of
rotation at once. A slow or failing answer (timeout, error, not 200) counts; only
`unhealthy_after` of them in a row take the replica out, so one probe lost to a CPU-starved
machine does not drop a busy replica. One good answer puts it back. A request that cannot
connect to a replica marks it refused at once (passive check), so a killed replica is dropped on
the first failed connection, before its next probe.

When no replica of a workload is healthy, calls go to the ones not known to refuse connections
(panic routing, logged and counted): a replica that is slow to answer its probe may still serve,
and a refusal there costs nothing, it is marked and the call moves on. A registry file that
cannot be read keeps the last good list (logged), so a torn or missing file never empties the
table.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from pathlib import Path

import aiohttp

from workloads.gateway import metrics
from workloads.gateway.balancing import Replica

log = logging.getLogger(__name__)


class Registry:
    def __init__(
        self,
        *,
        static: Mapping[str, list[str]],
        registry_file: Path | None,
        client: aiohttp.ClientSession,
        interval_s: float,
        timeout_s: float,
        unhealthy_after: int = 3,
    ) -> None:
        self._static = {name: list(urls) for name, urls in static.items()}
        self._file = registry_file
        self._last_read: bytes | None = None
        self._client = client
        self._interval_s = interval_s
        self._timeout_s = timeout_s
        self._unhealthy_after = unhealthy_after
        self._panicking: set[str] = set()
        self.replicas: dict[str, dict[str, Replica]] = {}
        self._apply(self._static)

    def healthy(self, workload: str) -> list[Replica]:
        return [r for r in self.replicas.get(workload, {}).values() if r.healthy]

    def candidates(self, workload: str) -> list[Replica]:
        """The healthy replicas; if there are none, those not known to refuse (panic routing)."""
        healthy = self.healthy(workload)
        if healthy:
            if workload in self._panicking:
                self._panicking.discard(workload)
                log.info("upstream %s has a healthy replica again: panic routing ends", workload)
            return healthy
        hopeful = [r for r in self.replicas.get(workload, {}).values() if not r.refused]
        if hopeful:
            if workload not in self._panicking:
                self._panicking.add(workload)
                log.warning(
                    "upstream %s: no replica passes its health check; routing to the %d not "
                    "refusing connections", workload, len(hopeful),
                )  # fmt: skip
            metrics.panic_routed.labels(workload).inc()
        return hopeful

    def mark_down(self, replica: Replica, workload: str) -> None:
        """A connection to the replica was refused: out of rotation until a probe answers."""
        if replica.healthy or not replica.refused:
            log.warning(
                "upstream %s replica %s unreachable: out of rotation", workload, replica.url
            )
        replica.healthy = False
        replica.refused = True
        self._publish()

    def _apply(self, listed: Mapping[str, list[str]]) -> None:
        for workload, urls in listed.items():
            known = self.replicas.setdefault(workload, {})
            for url in urls:
                known.setdefault(url, Replica(url))
            for gone in set(known) - set(urls):
                del known[gone]
        for workload in set(self.replicas) - set(listed):
            del self.replicas[workload]

    def reload(self) -> None:
        """Re-read the registry file if its content changed; keep the last good list on errors."""
        if self._file is None:
            return
        try:
            content = self._file.read_bytes()
            if content == self._last_read:
                return
            listed = json.loads(content)
            urls = {str(k): [str(u).rstrip("/") for u in v] for k, v in listed.items()}
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            log.warning(
                "upstream registry %s unreadable (%s): keeping the last list", self._file, exc
            )
            return
        self._last_read = content
        self._apply({**self._static, **urls})

    async def _probe(self, workload: str, replica: Replica) -> None:
        was = replica.healthy
        timeout = aiohttp.ClientTimeout(total=self._timeout_s)
        try:
            async with self._client.get(f"{replica.url}/health/live", timeout=timeout) as answer:
                status = answer.status
                await answer.read()
        except aiohttp.ClientConnectorError:
            replica.healthy, replica.refused = False, True
            why = "refuses connections"
        except (aiohttp.ClientError, TimeoutError) as exc:
            why = f"did not answer its health check ({type(exc).__name__})"
            self._failed(replica)
        else:
            if status == 200:  # noqa: PLR2004
                replica.healthy, replica.refused, replica.failures = True, False, 0
            else:
                self._failed(replica)
            why = f"answered its health check with {status}"
        if replica.healthy != was:
            state = "back in rotation" if replica.healthy else f"{why}: out of rotation"
            log.log(
                logging.INFO if replica.healthy else logging.WARNING,
                "%s %s %s", workload, replica.url, state,
            )  # fmt: skip

    def _failed(self, replica: Replica) -> None:
        replica.failures += 1
        if replica.failures >= self._unhealthy_after:
            replica.healthy = False

    async def check_once(self) -> None:
        self.reload()
        await asyncio.gather(
            *(
                self._probe(workload, replica)
                for workload, known in self.replicas.items()
                for replica in list(known.values())
            )
        )
        self._publish()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            await self.check_once()

    def _publish(self) -> None:
        for workload, known in self.replicas.items():
            up = sum(r.healthy for r in known.values())
            metrics.replicas.labels(workload, "healthy").set(up)
            metrics.replicas.labels(workload, "unhealthy").set(len(known) - up)
