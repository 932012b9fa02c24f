"""An identity client over the running service (a process under the local supervisor)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from operators.local.stack import LocalStack

PASSWORD = "correct horse battery staple"


@dataclass
class IdentityClient:
    stack: LocalStack
    http: httpx.AsyncClient
    client_ip: str  # sent as X-Forwarded-For (uvicorn trusts it from loopback): one per test

    def url(self, path: str) -> str:
        return f"{self.stack.workloads.url('identity', 0)}{path}"

    async def post(self, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        headers = {"X-Forwarded-For": self.client_ip, **headers}
        return await self.http.post(self.url(path), json=body, headers=headers)

    async def register(self, email: str | None = None) -> str:
        email = email or f"{uuid.uuid4().hex[:12]}@example.com"
        response = await self.post("/v1/users", {"email": email, "password": PASSWORD})
        assert response.status_code == 201, response.text
        return email

    async def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return await self.post("/v1/auth/login", {"email": email, "password": password})

    async def tokens(self, email: str) -> dict[str, Any]:
        response = await self.login(email)
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens

    async def refresh(self, refresh_token: str) -> httpx.Response:
        return await self.post("/v1/auth/refresh", {"refresh_token": refresh_token})

    def jwks_url(self) -> str:
        return self.url("/.well-known/jwks.json")

    async def rotate(self) -> str:
        token = self.stack.admin_token()
        response = await self.http.post(
            self.url("/v1/admin/keys/rotate"), headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
        kid: str = response.json()["kid"]
        return kid


@pytest.fixture
async def identity(stack: LocalStack) -> AsyncIterator[IdentityClient]:
    octets = uuid.uuid4().bytes[:3]
    async with httpx.AsyncClient(timeout=30) as http:
        yield IdentityClient(stack, http, "10." + ".".join(str(b) for b in octets))
