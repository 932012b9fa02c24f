"""A gateway process in front of stand-in upstream processes (tests/support/upstream_stub.py).

The resilience tests need upstreams that are slow, failing or killed on demand, which the real
services are not; the gateway is the real one (`python -m workloads.gateway`), with the local
stack's Redis for its rate limit and a registry file of the test's own.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from operators.local.stack import LocalStack
from operators.paths import REPO_ROOT
from tests.e2e.workloads.gateway.edge_client import EdgeClient
from tests.support.eventually import eventually_sync


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_live(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    def live() -> None:
        assert process.poll() is None, f"{url} exited:\n{log.read_text()[-3000:]}"
        try:
            assert httpx.get(f"{url}/health/live", timeout=1).status_code == 200
        except httpx.HTTPError as exc:
            raise AssertionError(f"{url} not answering yet: {exc}") from exc

    eventually_sync(live, within_s=60, every_s=0.2)


@dataclass
class Bench:
    """One gateway and its stubs; `stubs[workload]` lists the replicas' base URLs."""

    tmp: Path
    redis_url: str
    gateway_url: str = ""
    stubs: dict[str, list[str]] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def _spawn(self, name: str, module: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = self.tmp / f"{name}.log"
        base = {k: v for k, v in os.environ.items() if not k.endswith("_URL")}
        base.pop("CONVEYOR_RESILIENCY", None)
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", module], cwd=REPO_ROOT, env={**base, **env},
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.processes[name] = process
        return process

    def stub(self, workload: str, replicas: int = 1) -> list[str]:
        first = len(self.stubs.get(workload, []))
        for i in range(first, first + replicas):
            port = free_port()
            name = f"{workload}-{i}"
            process = self._spawn(
                name, "tests.support.upstream_stub", {"HTTP_PORT": str(port), "STUB_NAME": name}
            )
            url = f"http://127.0.0.1:{port}"
            _wait_live(url, process, self.tmp / f"{name}.log")
            self.stubs.setdefault(workload, []).append(url)
        return self.stubs[workload][first:]

    def gateway(self, *, resiliency: dict[str, Any] | None = None, **env: str) -> str:
        registry = self.tmp / "registry.json"
        self.publish()
        port = free_port()
        settings = {
            "HTTP_PORT": str(port),
            "REDIS_URL": self.redis_url,
            "UPSTREAM_REGISTRY": str(registry),
            "HEALTH_INTERVAL_S": "0.5",
            "RATE_LIMIT_NAME": f"t-{uuid.uuid4().hex[:12]}",
            "CONVEYOR_RESILIENCY": json.dumps({"targets": resiliency or {}}),
            **env,
        }
        process = self._spawn("gateway", "workloads.gateway", settings)
        self.gateway_url = f"http://127.0.0.1:{port}"
        _wait_live(self.gateway_url, process, self.tmp / "gateway.log")
        return self.gateway_url

    def publish(self) -> None:
        """Rewrite the registry file, as the runner does when desired replicas change."""
        (self.tmp / "registry.json").write_text(json.dumps(self.stubs))

    def kill(self, name: str) -> None:
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait(timeout=30)

    def calls(self, url: str) -> dict[str, int]:
        counted: dict[str, int] = httpx.get(f"{url}/_calls", timeout=5).json()
        return counted

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def bench(stack: LocalStack, tmp_path: Path) -> Iterator[Bench]:
    made = Bench(tmp_path, stack.redis.url())
    try:
        yield made
    finally:
        made.stop()


@pytest.fixture
async def edge(stack: LocalStack) -> AsyncIterator[EdgeClient]:
    """The stack's gateway, from a loopback address of the test's own (all 127/8 is loopback)."""
    address = loopback_address()
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(timeout=30, transport=transport) as http:
        yield EdgeClient(stack, http, address)


def loopback_address() -> str:
    """A random address of 127.0.0.0/8 other than 127.0.0.1 (the gateway's own, trusted)."""
    a, b, c = uuid.uuid4().bytes[:3]
    return f"127.{1 + a % 254}.{b}.{1 + c % 254}"
