"""Calling one upstream workload: bulkhead, circuit breaker, balancing, timeout and retries.

Order of defences, cheapest first, so one slow or dead service cannot exhaust the gateway:
1. bulkhead (`bulkhead.py`): at most `max_concurrent` calls in flight to this upstream; one more
   waits at most `max_wait_s` for a slot, behind at most as many others, and is then refused
   (503 + Retry-After) instead of queueing behind a slow service;
2. circuit breaker (`shared/breaker.py`, the pipeline's `circuitBreaker` for the target): while
   open, calls are refused at once (503 + Retry-After: the open time);
3. a replica chosen by the balancer among the healthy ones this call has not tried yet (if none
   is healthy, among those not refusing connections: `registry.py`, panic routing);
4. each attempt bounded by the target's `timeout` policy (504 when it runs out);
5. retries, by the target's `retry` policy, only for idempotent calls (GET/HEAD, or any request
   carrying an `Idempotency-Key`) after a timeout, a transport error or a 502/503/504 answer. A
   connection that could not be opened never reached the service, so any call moves on to the
   next replica then (the replica is marked down): a killed replica fails no request.

The breaker counts a call as failed when it ends in a timeout, a transport error or a 5xx; 4xx
answers are the client's business and count as successes. A call that found no replica to reach
(all refusing connections) is not counted (ADR 0053): it never reached the service, the health
checks already keep it out, and counting it held the breaker open for its whole open time after
the only replica of a workload restarted in three seconds. Errors raised here are `ProblemError`s
that name the upstream but never repeat what it said.

The HTTP client is aiohttp (ADR 0054): one session per gateway process, its keep-alive shorter
than the services' (uvicorn closes an idle connection after 5 s), so a pooled connection is not
reused just as the service closes it. Each answer is read in full into an `Answer` before the
connection returns to the pool: answers are small JSON documents, and nothing outside this module
depends on the client library.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from workloads.gateway import metrics
from workloads.gateway.balancing import Balancer, Replica
from workloads.gateway.bulkhead import Bulkhead, BulkheadFullError
from workloads.gateway.registry import Registry
from workloads.shared.breaker import CircuitBreaker
from workloads.shared.problems import ProblemError
from workloads.shared.resiliency import Retry

RETRIABLE_STATUSES = frozenset({502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

PATH_SAFE = "/:@!$&'()*+,;=-._~"  # RFC 3986 pchar and "/", left as they are


KEEPALIVE_S = 4.0  # below uvicorn's 5 s keep-alive, so the service never closes one under us


def client_session() -> aiohttp.ClientSession:
    """The gateway's one HTTP client: no connection limit (the bulkheads limit), no cookies."""
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE_S)
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        skip_auto_headers=("Accept-Encoding", "User-Agent"),  # answers come back uncompressed
    )


@dataclass(frozen=True)
class Answer:
    """An upstream's answer, read in full: status, headers (case-insensitive) and body."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not JSON."""
        return json.loads(self.content)


class NoReplicaError(ProblemError):
    """503: no replica of the upstream could be reached; the breaker does not count it."""


def idempotent(method: str, headers: Mapping[str, str]) -> bool:
    return method in SAFE_METHODS or "idempotency-key" in {k.lower() for k in headers}


@dataclass
class Upstream:
    name: str
    registry: Registry
    balancer: Balancer
    breaker: CircuitBreaker
    client: aiohttp.ClientSession
    timeout_s: float
    max_concurrent: int
    retry: Retry | None = None
    breaker_open_s: float = 5.0
    max_wait_s: float = 0.0
    bulkhead: Bulkhead = field(init=False)

    def __post_init__(self) -> None:
        self.bulkhead = Bulkhead(self.max_concurrent, max_wait_s=self.max_wait_s)

    def _unavailable(self, title: str, detail: str, retry_after: float) -> ProblemError:
        metrics.upstream_calls.labels(self.name, "rejected").inc()
        return ProblemError(
            503, title, detail, headers={"Retry-After": str(max(1, math.ceil(retry_after)))}
        )

    async def call(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> Answer:
        headers = dict(headers or {})
        try:
            await self.bulkhead.acquire()
        except BulkheadFullError:
            raise self._unavailable(
                "Upstream busy", f"{self.name} has too many calls in flight; try again.", 1
            ) from None
        # Asked only once a slot is held: in half-open, allow() claims a trial call, and a trial
        # claimed by a call the bulkhead then refused would never report back.
        if not self.breaker.allow():
            self.bulkhead.release()
            raise self._unavailable(
                "Upstream unavailable", f"{self.name} is failing; try again later.",
                self.breaker_open_s,
            )  # fmt: skip
        metrics.in_flight.labels(self.name).set(self.bulkhead.in_flight)
        try:
            response = await self._attempts(method, path, query, headers, body)
        except NoReplicaError:
            raise
        except ProblemError:
            self.breaker.failed()
            raise
        finally:
            self.bulkhead.release()
            metrics.in_flight.labels(self.name).set(self.bulkhead.in_flight)
        if response.status_code >= 500:  # noqa: PLR2004
            self.breaker.failed()
        else:
            self.breaker.succeeded()
        return response

    def _pick(self, tried: set[str]) -> Replica:
        candidates = self.registry.candidates(self.name)
        fresh = [r for r in candidates if r.url not in tried] or candidates
        if not fresh:
            raise NoReplicaError(
                503, "Upstream unavailable", f"No replica of {self.name} is answering.",
                headers={"Retry-After": "1"},
            )  # fmt: skip
        return self.balancer.choose(fresh)

    def _backoff(self, attempt: int) -> float:
        if self.retry is None:
            return 0.0
        if self.retry.backoff == "constant":
            return self.retry.initial_interval_seconds
        ceiling = self.retry.initial_interval_seconds * 2**attempt
        return random.uniform(0, min(ceiling, self.retry.max_interval_seconds))  # noqa: S311

    async def _send(self, method: str, url: URL, headers: dict[str, str], body: bytes) -> Answer:
        async with self.client.request(
            method, url, headers=headers, data=body or None, allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=self.timeout_s),
        ) as response:  # fmt: skip
            content = await response.read()
            return Answer(response.status, response.headers, content)

    async def _attempts(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Answer:
        may_retry = idempotent(method, headers) and self.retry is not None
        attempts = self.retry.attempts if may_retry and self.retry else 1
        tried: set[str] = set()
        attempt = 0
        # `path` is decoded (as the client meant it); sent on percent-encoded, so any character a
        # client can encode (control characters, non-ASCII) reaches the service, never a 500 here
        sent = quote(path, safe=PATH_SAFE, errors="surrogateescape")
        url_tail = f"{sent}?{query}" if query else sent
        while True:
            failure: ProblemError | None = None
            replica = self._pick(tried)
            tried.add(replica.url)
            replica.outstanding += 1
            try:
                url = URL(replica.url + url_tail, encoded=True)  # already percent-encoded
                response = await self._send(method, url, headers, body)
            except aiohttp.ClientConnectorError:
                # never reached the service: safe to move on for any method
                self.registry.mark_down(replica, self.name)
                metrics.upstream_calls.labels(self.name, "unreachable").inc()
                metrics.upstream_retries.labels(self.name).inc()
                continue
            except TimeoutError as exc:
                metrics.upstream_calls.labels(self.name, "timeout").inc()
                failure = ProblemError(
                    504, "Upstream timeout", f"{self.name} did not answer in time."
                )
                failure.__cause__ = exc
            except aiohttp.ClientError as exc:
                metrics.upstream_calls.labels(self.name, "error").inc()
                failure = ProblemError(502, "Bad gateway", f"{self.name} failed to answer.")
                failure.__cause__ = exc
            else:
                retriable = response.status_code in RETRIABLE_STATUSES
                if not (retriable and attempt + 1 < attempts):
                    outcome = "error" if response.status_code >= 500 else "ok"  # noqa: PLR2004
                    metrics.upstream_calls.labels(self.name, outcome).inc()
                    return response
                metrics.upstream_calls.labels(self.name, "error").inc()
            finally:
                replica.outstanding -= 1
            attempt += 1
            if attempt >= attempts and failure is not None:
                raise failure
            metrics.upstream_retries.labels(self.name).inc()
            await asyncio.sleep(self._backoff(attempt - 1))
