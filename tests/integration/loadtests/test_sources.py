"""Each Locust user reaches a loopback target from an address of its own (sources.py).

A real listening socket on loopback records the peer of every connection; a request through the
pool FastHttpUser is given (`SourceBoundPool`) must arrive from the address the pool was bound
to, not from 127.0.0.1, or every per-client limit would count the whole run as one client.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from loadtests.scenarios.sources import SourceBoundPool, address, binds_on

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


@pytest.fixture
def listener() -> Iterator[tuple[int, list[str]]]:
    """A one-answer-per-connection HTTP server on loopback; the peers it saw."""
    peers: list[str] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        while True:
            try:
                conn, (peer, _) = server.accept()
            except OSError:
                return
            with conn:
                peers.append(peer)
                conn.recv(65536)
                conn.sendall(ANSWER)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], peers
    finally:
        server.shutdown(socket.SHUT_RDWR)  # wakes the accept
        server.close()
        thread.join(timeout=5)


def test_a_user_s_requests_come_from_its_own_loopback_address(
    listener: tuple[int, list[str]],
) -> None:
    port, peers = listener
    users = [address(1, 0), address(1, 7)]
    for source in users:
        client = SourceBoundPool(source).get_client(f"http://127.0.0.1:{port}/")
        answer = client.get("/")
        assert answer.status_code == 200
        answer.read()
        client.close()
    assert peers == users


def test_only_a_loopback_target_is_reached_from_a_loopback_address() -> None:
    assert binds_on("http://127.0.0.1:18000")
    assert binds_on("http://localhost:18000")
    assert not binds_on("https://shop.example.com")
    assert address(0, 0) == "127.10.0.1"
    assert address(1, 251) == "127.11.1.2"
