"""The client's address behind proxies this service trusts, and no one else's word for it.

`client_address(peer, forwarded_for, trusted=)` is the address a per-client limit should count:
the TCP peer, unless the peer is one of `trusted` (the networks of proxies in front of this
service, e.g. the gateway), in which case `X-Forwarded-For` is read from the right: each hop a
trusted proxy appended is skipped, and the first address no trusted proxy vouches for is the
client. A client can put anything at the left of the header; it is never reached while an
untrusted hop stands to its right, so spoofing buys nothing.

Safe by default: with no trusted networks (every service's default) the header is ignored and the
peer is the client. Uvicorn's own proxy-header handling (which trusts loopback peers implicitly)
is switched off in `runtime.serve`, so this is the only place a forwarded address is believed.
Failure behaviour: a malformed entry ends the walk at the last address known good (the trusted
peer or the hop to its right), never an exception.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(spec: str) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDRs (`"127.0.0.1/32, 10.0.0.0/8"`); empty: none trusted."""
    return tuple(
        ipaddress.ip_network(p.strip(), strict=False) for p in spec.split(",") if p.strip()
    )


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(
    peer: str | None, forwarded_for: str | None, *, trusted: Sequence[Network]
) -> str:
    """The client's address: the peer's, or the forwarded one its trusted proxies vouch for."""
    client = peer or "unknown"
    if not forwarded_for or not _trusted(client, trusted):
        return client
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return client  # garbage: stop at the last hop a trusted proxy put there
        client = hop
        if not _trusted(hop, trusted):
            return hop
    return client
