"""After SIGTERM a workload keeps serving for its drain, closing each keep-alive connection after
the answer, then stops (workloads/shared/draining.py, ADR 0056).

A real uvicorn process served by `runtime.serve` (tests/support/draining_app.py) on loopback, a
client holding a keep-alive connection, a real SIGTERM. Seen failing before the drain existed:
the first request after the signal found the port closed.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.support.eventually import eventually_sync

DRAIN_S = 3.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.draining_app", str(port), str(DRAIN_S)]
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> None:
        try:
            assert httpx.get(f"{url}/hello", timeout=1).status_code == 200
        except httpx.TransportError as exc:
            raise AssertionError(exc) from exc

    try:
        eventually_sync(answers, within_s=20)
        yield process, url
    finally:
        process.kill()
        process.wait(timeout=10)


def test_after_sigterm_answers_go_on_with_connection_close_then_the_process_stops(
    served: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, url = served
    with httpx.Client(base_url=url, timeout=2) as client:
        before = client.get("/hello")
        assert before.status_code == 200
        assert before.headers.get("connection", "").lower() != "close"  # kept alive
        process.send_signal(signal.SIGTERM)

        def drained_answer() -> httpx.Response:
            answer = client.get("/hello")
            assert answer.headers.get("connection", "").lower() == "close"
            return answer

        during = eventually_sync(drained_answer, within_s=DRAIN_S / 2)
        assert during.status_code == 200
        assert process.poll() is None  # still serving: the drain is not over
    assert process.wait(timeout=DRAIN_S + 15) != 0  # stopped by its SIGTERM after the drain
