"""HTTP edge of identity: registration, login, refresh, logout, the JWKS, key rotation.

Routes parse the request, call the service layer (`handlers.py`, `sessions.py`, `signing.py`)
and answer; every error is a problem document. A 429 carries `Retry-After` (whole seconds).
Registering an admin, and rotating keys, take the admin bearer token; a customer registers
without one and can never choose a role.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response

from workloads.identity import handlers, sessions
from workloads.identity.schemas import (
    LoginIn,
    RefreshIn,
    RegisterIn,
    RotatedKey,
    TokenPair,
    UserOut,
)
from workloads.identity.settings import IdentitySettings
from workloads.identity.signing import Keyring
from workloads.shared.auth import require_token
from workloads.shared.forwarded import client_address, networks
from workloads.shared.problems import ProblemError, problem, problem_responses
from workloads.shared.ratelimit import SlidingWindowLimiter
from workloads.shared.runtime import RuntimeDep


def routers(
    settings: IdentitySettings,
    *,
    keyring: Keyring,
    per_client: SlidingWindowLimiter,
    per_account: SlidingWindowLimiter,
) -> list[APIRouter]:
    admin_token = settings.admin_token.get_secret_value()
    proxies = networks(settings.trusted_proxies)
    router = APIRouter(tags=["identity"], responses=problem_responses(422, 500))

    @router.post("/v1/users", status_code=201, responses=problem_responses(400, 403, 409))
    async def register(
        body: RegisterIn,
        runtime: RuntimeDep,
        authorization: Annotated[str | None, Header()] = None,
    ) -> UserOut:
        if body.role != "customer" and not _is_admin(authorization, admin_token):
            raise ProblemError(403, "Forbidden", "Only an administrator may create an admin.")
        return await handlers.register(runtime.pool, body)

    @router.post("/v1/auth/login", responses=problem_responses(400, 401, 429, 503))
    async def login(body: LoginIn, request: Request, runtime: RuntimeDep) -> Any:
        peer = request.client.host if request.client else None
        client_ip = client_address(peer, request.headers.get("x-forwarded-for"), trusted=proxies)
        try:
            return await handlers.login(
                runtime.pool,
                body,
                client_ip=client_ip,
                keyring=keyring,
                per_client=per_client,
                per_account=per_account,
                refresh_ttl_s=settings.refresh_token_ttl_s,
            )
        except handlers.RateLimitedError as exc:
            what = "client" if exc.limiter == per_client.name else "account"
            answer = problem(
                429,
                "Too many login attempts",
                f"Too many login attempts from this {what}; retry in {exc.retry_after_s} s.",
            )
            answer.headers["Retry-After"] = str(exc.retry_after_s)
            return answer

    @router.post("/v1/auth/refresh", responses=problem_responses(400, 401))
    async def refresh(body: RefreshIn, runtime: RuntimeDep) -> TokenPair:
        return await handlers.refresh(
            runtime.pool,
            body.refresh_token,
            keyring=keyring,
            refresh_ttl_s=settings.refresh_token_ttl_s,
        )

    @router.post("/v1/auth/logout", status_code=204, responses=problem_responses(400))
    async def logout(body: RefreshIn, runtime: RuntimeDep) -> Response:
        await sessions.revoke(runtime.pool, body.refresh_token)
        return Response(status_code=204)

    @router.get("/.well-known/jwks.json")
    async def jwks(runtime: RuntimeDep) -> dict[str, Any]:
        return await keyring.published_jwks(runtime.pool)

    @router.post(
        "/v1/admin/keys/rotate",
        tags=["admin"],
        dependencies=[require_token(admin_token)],
        responses=problem_responses(401),
    )
    async def rotate(runtime: RuntimeDep) -> RotatedKey:
        return RotatedKey(kid=await keyring.rotate(runtime.pool))

    return [router]


def _is_admin(authorization: str | None, admin_token: str) -> bool:
    scheme, _, token = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), admin_token.encode())
