"""Bearer-token guard for administrative endpoints (constant-time comparison)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header

from workloads.shared.problems import ProblemError


def require_token(expected: str):  # type: ignore[no-untyped-def]
    """A dependency that admits only `Authorization: Bearer <expected>`."""

    async def check(authorization: Annotated[str | None, Header()] = None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
            raise ProblemError(401, "Unauthorized", "An admin bearer token is required.")

    return Depends(check)
