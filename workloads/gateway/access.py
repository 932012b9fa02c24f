"""Who is calling, and may they: the verified token's principal against a route's rule.

A bearer token, when present, must verify (signature against identity's JWKS, expiry, issuer
and audience: `Verifier`); a bad one is a 401 even on a public route, so a client learns at once
that its token is wrong. The principal's subject keys the rate limit; its roles decide ADMIN
rules (403 without `admin`). Ownership of an order or a customer's data is checked in
`ownership.py`, after the rate limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from workloads.gateway import metrics
from workloads.gateway.routing import Access, Rule
from workloads.shared.problems import ProblemError

ADMIN_ROLE = "admin"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="conveyor"'}


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]

    @property
    def admin(self) -> bool:
        return ADMIN_ROLE in self.roles


class InvalidTokenError(Exception):
    """The token did not verify; the message is for the log, never for the client."""


class Verifier(Protocol):
    async def verify(self, token: str) -> Principal: ...


def bearer(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate(authorization: str | None, verifier: Verifier) -> Principal | None:
    """The caller's principal, None without a token; a token that does not verify is a 401."""
    if authorization is None:
        return None
    token = bearer(authorization)
    if token is None:
        metrics.rejections.labels("unauthenticated").inc()
        raise ProblemError(401, "Unauthorized", "Send `Authorization: Bearer <token>`.",
                           headers=CHALLENGE)  # fmt: skip
    try:
        return await verifier.verify(token)
    except InvalidTokenError as exc:
        metrics.rejections.labels("unauthenticated").inc()
        raise ProblemError(
            401, "Unauthorized", "The token is not valid; log in again.", headers=CHALLENGE
        ) from exc


def authorize(rule: Rule, principal: Principal | None) -> None:
    if rule.access is Access.PUBLIC:
        return
    if principal is None:
        metrics.rejections.labels("unauthenticated").inc()
        raise ProblemError(401, "Unauthorized", "This route needs a bearer token; log in first.",
                           headers=CHALLENGE)  # fmt: skip
    if rule.access is Access.ADMIN and not principal.admin:
        metrics.rejections.labels("forbidden").inc()
        raise ProblemError(403, "Forbidden", "This route is for administrators.")
