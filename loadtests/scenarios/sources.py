"""One client address per Locust user on loopback: the gateway and identity see many clients.

A load run on one machine comes from one address, so every per-client limit (the gateway's rate
limit, identity's 20 logins a minute) would count the whole run as one client — and refuse it,
as it should. On Linux the whole of 127.0.0.0/8 is loopback, so each user binds its connections
to an address of its own (`address(worker, n)`: 127.<10 + worker>.<n / 250>.<1 + n % 250>) and is
one client, exactly as many people behind the gateway would be. No limit is raised and nothing
is trusted that production would not trust: the limits see what they would see in the field.

Only for a loopback target (`binds_on(url)`): a remote gateway is reached from the machine's own
address. `SourceBoundPool` is a geventhttpclient client pool (what FastHttpUser's `client_pool`
takes) whose sockets bind their source address before connecting.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import gevent.socket  # type: ignore[import-untyped]
from geventhttpclient.client import HTTPClient, HTTPClientPool
from geventhttpclient.connectionpool import ConnectionPool
from geventhttpclient.url import URL

PER_OCTET = 250
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


def binds_on(url: str) -> bool:
    """Whether a target is on loopback (so users can each take an address of 127.0.0.0/8)."""
    host = urlsplit(url).hostname or ""
    try:
        return ipaddress.ip_address(host) in LOOPBACK
    except ValueError:
        return host == "localhost"


def address(worker: int, n: int) -> str:
    """The `n`-th user's address on worker `worker` (distinct for 62,500 users per worker)."""
    if not 0 <= worker < 240 or not 0 <= n < PER_OCTET * 256:  # noqa: PLR2004
        raise ValueError(f"no loopback address for user {n} of worker {worker}")
    return f"127.{10 + worker}.{n // PER_OCTET}.{1 + n % PER_OCTET}"


class _BoundConnections(ConnectionPool):
    def __init__(self, *args: Any, source: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._source = source

    def _connect_socket(self, sock: gevent.socket.socket, address: Any) -> gevent.socket.socket:
        sock.bind((self._source, 0))
        return super()._connect_socket(sock, address)


class _BoundClient(HTTPClient):
    def __init__(self, host: str, port: int | None = None, *, source: str, **kwargs: Any) -> None:
        super().__init__(host, port, **kwargs)
        plain = self._connection_pool
        self._connection_pool = _BoundConnections(
            host, self.port, host, self.port, size=plain.size, source=source,
            connection_timeout=plain.connection_timeout, network_timeout=plain.network_timeout,
        )  # fmt: skip
        plain.close()


class SourceBoundPool(HTTPClientPool):
    """FastHttpUser's client pool, every connection from `source` (an address of this machine)."""

    def __init__(self, source: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source = source

    def get_client(self, url: str | URL) -> HTTPClient:
        url = url if isinstance(url, URL) else URL(url)
        key = url.host, url.port
        if key not in self.clients:
            self.clients[key] = _BoundClient(
                url.host, url.port, source=self.source, **self.client_args
            )
        return self.clients[key]
