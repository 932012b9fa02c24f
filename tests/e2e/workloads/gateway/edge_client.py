"""A client of the running stack's gateway (a process under the local supervisor), with real users.

Users register (`POST /v1/users`) and log in (`POST /v1/auth/login`) through the gateway against
the real identity service; an admin is registered at identity with the stack's admin token.
Each client connects from a loopback address of its own (`client_ip`, one of 127.0.0.0/8), so the
per-client limits count this test alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from operators.local.stack import LocalStack

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class User:
    user_id: str
    access_token: str
    refresh_token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


@dataclass
class EdgeClient:
    stack: LocalStack
    http: httpx.AsyncClient
    client_ip: str  # the source address its connections are bound to

    def url(self, path: str) -> str:
        return f"{self.stack.workloads.url('gateway', 0)}{path}"

    async def request(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return await self.http.request(method, self.url(path), headers=headers, **kwargs)

    async def register(self, *, admin: bool = False) -> str:
        """A new account; an admin is registered at identity itself with the stack's admin token
        (the gateway admits only identity's JWTs as bearer tokens, and forwards none upstream)."""
        body = {"email": f"{uuid.uuid4().hex[:12]}@example.com", "password": PASSWORD}
        if admin:
            response = await self.http.post(
                f"{self.stack.workloads.url('identity', 0)}/v1/users",
                json={**body, "role": "admin"},
                headers={"Authorization": f"Bearer {self.stack.admin_token()}"},
            )
        else:
            response = await self.request("POST", "/v1/users", json=body)
        assert response.status_code == 201, response.text
        return body["email"]

    async def login(self, email: str) -> User:
        body = {"email": email, "password": PASSWORD}
        response = await self.request("POST", "/v1/auth/login", json=body)
        assert response.status_code == 200, response.text
        tokens = response.json()
        subject = jwt.decode(tokens["access_token"], options={"verify_signature": False})["sub"]
        return User(subject, tokens["access_token"], tokens["refresh_token"])

    async def user(self, *, admin: bool = False) -> User:
        return await self.login(await self.register(admin=admin))

    async def place(self, user: User, product_id: str, quantity: int = 1) -> httpx.Response:
        body = {
            "customer_id": user.user_id,
            "items": [{"product_id": product_id, "quantity": quantity}],
            "payment": {"card_token": "tok_visa"},
        }
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        return await self.request(
            "POST", "/v1/orders", token=user.access_token, json=body, headers=headers
        )

    async def place_ok(self, user: User, product_id: str, quantity: int = 1) -> str:
        response = await self.place(user, product_id, quantity)
        assert response.status_code == 202, response.text
        order_id: str = response.json()["order_id"]
        return order_id
