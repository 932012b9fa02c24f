"""Upstream discovery: the replicas of each workload, and which of them answer now.

Where the addresses come from (ADR 0034): locally, the runner's registry file
(`.local/run/registry.json`, `{workload: [base URL, ...]}`), rewritten whenever a workload's
desired replicas change and re-read here when its modification time moves; in a cluster, the
`<WORKLOAD>_URL` Service names the operator renders (the Service balances over its endpoints,
which Kubernetes keeps to the ready pods).

Active health checks: every `interval_s`, each replica's `/health/live` is asked with a short
timeout; a replica that fails is out of rotation until it answers again. A request that cannot
connect to a replica marks it down at once (passive check), so a killed replica is dropped on the
first failed connection, before its next probe. A registry file that cannot be read keeps the
last good list (logged), so a torn or missing file never empties the table.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from pathlib import Path

import httpx

from workloads.gateway import metrics
from workloads.gateway.balancing import Replica

log = logging.getLogger(__name__)


class Registry:
    def __init__(
        self,
        *,
        static: Mapping[str, list[str]],
        registry_file: Path | None,
        client: httpx.AsyncClient,
        interval_s: float,
        timeout_s: float,
    ) -> None:
        self._static = {name: list(urls) for name, urls in static.items()}
        self._file = registry_file
        self._mtime: float | None = None
        self._client = client
        self._interval_s = interval_s
        self._timeout_s = timeout_s
        self.replicas: dict[str, dict[str, Replica]] = {}
        self._apply(self._static)

    def healthy(self, workload: str) -> list[Replica]:
        return [r for r in self.replicas.get(workload, {}).values() if r.healthy]

    def mark_down(self, replica: Replica, workload: str) -> None:
        if replica.healthy:
            log.warning(
                "upstream %s replica %s unreachable: out of rotation", workload, replica.url
            )
        replica.healthy = False
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
        """Re-read the registry file if it changed; keep the last good list on any error."""
        if self._file is None:
            return
        try:
            mtime = self._file.stat().st_mtime
            if mtime == self._mtime:
                return
            listed = json.loads(self._file.read_text())
            urls = {str(k): [str(u).rstrip("/") for u in v] for k, v in listed.items()}
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            log.warning(
                "upstream registry %s unreadable (%s): keeping the last list", self._file, exc
            )
            return
        self._mtime = mtime
        self._apply({**self._static, **urls})

    async def _probe(self, workload: str, replica: Replica) -> None:
        try:
            answer = await self._client.get(f"{replica.url}/health/live", timeout=self._timeout_s)
            up = answer.status_code == 200  # noqa: PLR2004
        except httpx.HTTPError:
            up = False
        if up != replica.healthy:
            state = "back in rotation" if up else "failed its health check: out of rotation"
            log.log(
                logging.INFO if up else logging.WARNING, "%s %s %s", workload, replica.url, state
            )
        replica.healthy = up

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
