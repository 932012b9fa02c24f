"""The gateway's upstream table against real HTTP servers on loopback (gateway/registry.py).

Each replica is a real threaded HTTP server; a "stalled" one accepts the connection but holds
`/health/live` until the test releases it, so a probe times out exactly as one does on a
CPU-starved machine, while its other paths still answer. A "closed" replica is a port nothing
listens on. Guards, each seen failing on the code before ADR 0053: one lost probe no longer
drops a replica; a refusal still does at once; with every replica failing its probe, a call
still reaches one that serves; calls that found no replica to reach do not open the breaker, so
the first call after a replica is back succeeds; a registry rewrite that keeps the file's
timestamp is read.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import aiohttp
import pytest

from workloads.gateway.balancing import RoundRobin
from workloads.gateway.registry import Registry
from workloads.gateway.upstreams import Upstream, client_session
from workloads.shared.breaker import CircuitBreaker
from workloads.shared.problems import ProblemError

PROBE_TIMEOUT_S = 0.2


class Replica:
    """One loopback HTTP server; `stall()` makes `/health/live` hang until `answer()`."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.released.set()
        released = self.released

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/health/live":
                    released.wait(timeout=30)
                body = b'{"ok": true}'
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stall(self) -> None:
        self.released.clear()

    def answer(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.answer()
        self.server.shutdown()
        self.server.server_close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def replicas() -> Iterator[list[Replica]]:
    made = [Replica(), Replica()]
    yield made
    for replica in made:
        replica.close()


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with client_session() as session:  # the gateway's own client
        yield session


def upstream_of(registry: Registry, client: aiohttp.ClientSession) -> Upstream:
    return Upstream(
        name="catalog", registry=registry, balancer=RoundRobin(),
        breaker=CircuitBreaker("upstream:test-catalog", open_s=30), client=client, timeout_s=5,
        max_concurrent=4,
    )  # fmt: skip


def registry_of(
    urls: list[str],
    client: aiohttp.ClientSession,
    *,
    unhealthy_after: int = 3,
    file: Path | None = None,
) -> Registry:
    return Registry(
        static={"catalog": urls}, registry_file=file, client=client, interval_s=60,
        timeout_s=PROBE_TIMEOUT_S, unhealthy_after=unhealthy_after,
    )  # fmt: skip


async def test_one_lost_probe_keeps_a_replica_and_three_in_a_row_take_it_out(
    replicas: list[Replica], client: aiohttp.ClientSession
) -> None:
    a, b = replicas
    registry = registry_of([a.url, b.url], client)
    await registry.check_once()
    assert {r.url for r in registry.healthy("catalog")} == {a.url, b.url}
    a.stall()
    for _ in range(2):
        await registry.check_once()
        assert {r.url for r in registry.healthy("catalog")} == {a.url, b.url}
    await registry.check_once()
    assert [r.url for r in registry.healthy("catalog")] == [b.url]
    a.answer()
    await registry.check_once()
    assert {r.url for r in registry.healthy("catalog")} == {a.url, b.url}


async def test_a_refused_connection_takes_a_replica_out_at_the_first_probe(
    replicas: list[Replica], client: aiohttp.ClientSession
) -> None:
    closed = closed_port_url()
    registry = registry_of([replicas[0].url, closed], client)
    await registry.check_once()
    assert [r.url for r in registry.healthy("catalog")] == [replicas[0].url]
    assert [r.url for r in registry.candidates("catalog")] == [replicas[0].url]


async def test_with_every_probe_failing_a_call_still_reaches_a_replica_that_serves(
    replicas: list[Replica], client: aiohttp.ClientSession
) -> None:
    a, b = replicas
    closed = closed_port_url()
    registry = registry_of([a.url, b.url, closed], client, unhealthy_after=1)
    await registry.check_once()
    a.stall()
    b.stall()
    await registry.check_once()
    assert registry.healthy("catalog") == []
    # panic routing: the two that time out their probe, never the one refusing connections
    assert {r.url for r in registry.candidates("catalog")} == {a.url, b.url}
    upstream = upstream_of(registry, client)
    answers = [await upstream.call("GET", "/v1/products") for _ in range(4)]
    assert [r.status_code for r in answers] == [200] * 4


async def test_a_registry_rewrite_with_the_same_timestamp_is_read(
    replicas: list[Replica], client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    a, b = replicas
    file = tmp_path / "registry.json"
    file.write_text(json.dumps({"catalog": [a.url]}))
    stamp = file.stat()
    registry = registry_of([], client, file=file)
    await registry.check_once()
    assert [r.url for r in registry.healthy("catalog")] == [a.url]
    file.write_text(json.dumps({"catalog": [a.url, b.url]}))
    os.utime(file, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # same clock tick as the first
    await registry.check_once()
    assert {r.url for r in registry.healthy("catalog")} == {a.url, b.url}


async def test_calls_that_reach_no_replica_leave_the_breaker_closed(
    replicas: list[Replica], client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    file = tmp_path / "registry.json"
    file.write_text(json.dumps({"catalog": [closed_port_url()]}))
    registry = registry_of([], client, file=file)
    await registry.check_once()
    upstream = upstream_of(registry, client)
    for _ in range(8):  # more than the breaker's 5 consecutive failures
        with pytest.raises(ProblemError) as refused:
            await upstream.call("GET", "/v1/products")
        assert (refused.value.status, refused.value.title) == (503, "Upstream unavailable")
    file.write_text(json.dumps({"catalog": [replicas[0].url]}))  # the replica is back
    await registry.check_once()
    assert (await upstream.call("GET", "/v1/products")).status_code == 200
