"""Identity fails closed: a login it cannot count (Redis unreachable) is 503, never let through.

Two identity apps over the local stack's real PostgreSQL, differing only in REDIS_URL: one uses
the stack's Redis, the other a loopback port that refuses connections (a socket bound there and
never listening, so nothing else can take the port). The same registered customer logs in to
both: 200 with tokens from the first, a problem+json 503 (no tokens) from the second.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
from pydantic import SecretStr

from operators.local.secrets import read_or_create
from operators.local.stack import LocalStack
from workloads.identity.__main__ import app as identity_app
from workloads.identity.settings import IdentitySettings

PASSWORD = "correct horse battery staple"


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A loopback port that refuses connections for the test's duration."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield int(held.getsockname()[1])


@asynccontextmanager
async def _identity(stack: LocalStack, redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = IdentitySettings(
        service_name="identity",
        database_url=SecretStr(stack.postgres.dsn("identity")),
        redis_url=SecretStr(redis_url),
        admin_token=SecretStr(stack.admin_token()),
        signing_key_passphrase=SecretStr(
            read_or_create(stack.settings.secrets_dir / "signing-key-passphrase")
        ),
        redis_timeout_s=1.0,
    )
    app = identity_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(f"10.9.{uuid.uuid4().int % 250}.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://identity") as client:
            yield client


async def test_login_is_503_when_its_limits_cannot_be_counted(
    stack: LocalStack, refusing_port: int
) -> None:
    email = f"{uuid.uuid4().hex[:12]}@example.com"
    body = {"email": email, "password": PASSWORD}
    async with _identity(stack, stack.redis.url()) as counted:
        registered = await counted.post("/v1/users", json=body)
        assert registered.status_code == 201, registered.text
        allowed = await counted.post("/v1/auth/login", json=body)
        assert allowed.status_code == 200, allowed.text
        assert "access_token" in allowed.json()

    async with _identity(stack, f"redis://127.0.0.1:{refusing_port}/0") as uncounted:
        refused = await uncounted.post("/v1/auth/login", json=body)
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "access_token" not in refused.text
