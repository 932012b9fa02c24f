"""Loopback port checks, so a clash is reported before a server fails in a confusing way."""

from __future__ import annotations

import socket


def is_listening(host: str, port: int, timeout_s: float = 0.3) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False
