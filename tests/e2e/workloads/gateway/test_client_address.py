"""Login limits count the real client behind the gateway, and no client can name another.

Identity allows 20 logins a minute per client address. Behind the gateway the connection is the
gateway's, so the gateway sends the client's address in `X-Forwarded-For` (replacing whatever the
client sent) and identity believes that header only from a proxy in its `TRUSTED_PROXIES` (the
gateway, on loopback in the local pipeline). Each test connects from loopback addresses of its
own (all of 127.0.0.0/8 is loopback), so its counts are its alone; attempts use fresh, unknown
accounts, so only the per-client limit can refuse them.
"""

from __future__ import annotations

import uuid

import httpx

from operators.local.stack import LocalStack
from tests.e2e.workloads.gateway.conftest import loopback_address

PER_CLIENT = 20  # identity's LOGIN_LIMIT_PER_CLIENT default


def _attempt() -> dict[str, str]:
    return {"email": f"nobody-{uuid.uuid4().hex[:12]}@example.com", "password": "not-the-one-1"}


async def _logins(url: str, address: str, count: int, *, spoof: bool = False) -> list[int]:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(timeout=30, transport=transport) as http:
        statuses = []
        for n in range(count):
            headers = {"X-Forwarded-For": f"198.51.100.{n + 1}"} if spoof else {}
            answer = await http.post(f"{url}/v1/auth/login", json=_attempt(), headers=headers)
            statuses.append(answer.status_code)
        return statuses


async def test_logins_through_the_gateway_are_limited_per_client_not_per_gateway(
    stack: LocalStack,
) -> None:
    gateway = stack.workloads.url("gateway", 0)
    first, second = loopback_address(), loopback_address()
    assert await _logins(gateway, first, PER_CLIENT) == [401] * PER_CLIENT
    assert await _logins(gateway, first, 1) == [429], "the 21st login from one client passed"
    assert await _logins(gateway, second, 1) == [401], (
        "another client was refused: identity counts the gateway's address, not the client's"
    )


async def test_a_client_s_own_forwarded_for_buys_no_more_logins_at_the_gateway(
    stack: LocalStack,
) -> None:
    statuses = await _logins(
        stack.workloads.url("gateway", 0), loopback_address(), PER_CLIENT + 1, spoof=True
    )
    assert statuses == [401] * PER_CLIENT + [429], "a spoofed X-Forwarded-For was believed"


async def test_identity_believes_forwarded_for_only_from_a_trusted_proxy(
    stack: LocalStack,
) -> None:
    statuses = await _logins(
        stack.workloads.url("identity", 0), loopback_address(), PER_CLIENT + 1, spoof=True
    )
    assert statuses == [401] * PER_CLIENT + [429], "identity believed an untrusted peer's header"
