"""Access tokens: the contract between identity (the issuer) and every service that trusts them.

The contract (ADR 0033): an access token is a JWT signed RS256 by one of identity's signing keys,
named by `kid` in its header; its claims are `iss` (ISSUER), `aud` (AUDIENCE), `sub` (the user id,
which is the customer id of orders), `role` (`customer` or `admin`), `iat`, `exp` (iat + the
access lifetime, 5 minutes by default) and `jti`. Identity publishes the public keys at
`/.well-known/jwks.json`, every key until the last token it signed has expired.

`TokenVerifier.verify(token)` checks all of it and returns typed `AccessClaims`, or raises one
`TokenError` subclass that says why: `TokenExpiredError`, `TokenSignatureError`,
`UnknownKeyError`, `TokenInvalidError` (malformed, another algorithm, issuer or audience, a claim
missing), `KeysUnavailableError` (the key set cannot be fetched: a 503 rather than a 401).
Only RS256 is accepted, whatever the token's header says, so `none` and HMAC-with-the-public-key
forgeries fail.

Key set cache: fetched on first use and kept `cache_s`; a token naming a `kid` the cache does not
hold triggers one refetch (single flight; at most one fetch per `refetch_interval_s`, so tokens
with invented kids cannot flood identity) — a key rotated in is picked up on its first token.
When a scheduled refresh fails, the keys already held keep serving (logged); only a verifier that
never fetched a key set raises `KeysUnavailableError`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

import httpx
import jwt

log = logging.getLogger(__name__)

ALGORITHM = "RS256"
ISSUER = "conveyor-identity"
AUDIENCE = "conveyor"
ROLES: tuple[str, ...] = ("customer", "admin")
Role = Literal["customer", "admin"]
REQUIRED_CLAIMS = ("iss", "aud", "sub", "role", "iat", "exp", "jti")


class TokenError(Exception):
    """The token is not acceptable; the message says why (safe to return to the caller)."""


class TokenExpiredError(TokenError):
    pass


class TokenSignatureError(TokenError):
    pass


class UnknownKeyError(TokenError):
    pass


class TokenInvalidError(TokenError):
    pass


class KeysUnavailableError(TokenError):
    """The issuer's key set could not be fetched, and none is held: not the caller's fault."""


@dataclass(frozen=True)
class AccessClaims:
    subject: str  # the user id; orders call it the customer id
    role: Role
    issued_at: datetime
    expires_at: datetime
    token_id: str
    key_id: str

    @property
    def customer_id(self) -> str:
        return self.subject

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


JwksFetch = Callable[[], Awaitable[dict[str, Any]]]


def http_fetch(jwks_url: str, *, timeout_s: float = 2.0) -> JwksFetch:
    """Fetch the JWK set from `jwks_url` (a fresh short-lived connection per fetch: rare)."""

    async def fetch() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            response = await client.get(jwks_url)
            response.raise_for_status()
            return cast(dict[str, Any], response.json())

    return fetch


class TokenVerifier:
    """Verifies access tokens against the issuer's JWKS (see the module docstring)."""

    def __init__(
        self,
        jwks_url: str,
        *,
        issuer: str = ISSUER,
        audience: str = AUDIENCE,
        cache_s: float = 300.0,
        refetch_interval_s: float = 1.0,
        leeway_s: float = 5.0,
        fetch: JwksFetch | None = None,  # a test seam; by default an HTTP GET of jwks_url
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer, self.audience, self.leeway_s = issuer, audience, leeway_s
        self._fetch = fetch or http_fetch(jwks_url)
        self._cache_s, self._refetch_interval_s, self._clock = cache_s, refetch_interval_s, clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def verify(self, token: str) -> AccessClaims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenInvalidError("the token is not a well-formed JWT") from exc
        if header.get("alg") != ALGORITHM:
            raise TokenInvalidError(f"the token must be signed {ALGORITHM}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenInvalidError("the token names no signing key (kid)")
        key = await self._key(kid)
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpiredError("the token has expired; refresh it") from exc
        except jwt.InvalidSignatureError as exc:
            raise TokenSignatureError("the token's signature does not verify") from exc
        except jwt.PyJWTError as exc:
            raise TokenInvalidError(f"the token is not acceptable: {exc}") from exc
        return _claims(claims, kid)

    async def _key(self, kid: str) -> jwt.PyJWK:
        stale = self._fetched_at is None or self._clock() - self._fetched_at > self._cache_s
        if kid in self._keys and not stale:
            return self._keys[kid]
        async with self._lock:  # one fetch at a time; the others find its result
            fetched_at = self._fetched_at
            stale = fetched_at is None or self._clock() - fetched_at > self._cache_s
            if kid not in self._keys or stale:
                if fetched_at is not None and not stale:
                    wait = fetched_at + self._refetch_interval_s - self._clock()
                    if wait > 0:  # a rotated-in key is waited for, an invented one rate-limited
                        await asyncio.sleep(wait)
                await self._refresh()
        if kid not in self._keys:
            raise UnknownKeyError(f"the token's key {kid!r} is not one of the issuer's keys")
        return self._keys[kid]

    async def _refresh(self) -> None:
        try:
            document = await self._fetch()
            keys = jwt.PyJWKSet.from_dict(document).keys
        except (httpx.HTTPError, OSError, ValueError, jwt.PyJWTError) as exc:
            self._fetched_at = self._clock()  # failures are rate-limited like fetches
            if not self._keys:
                raise KeysUnavailableError(
                    f"the issuer's key set could not be fetched ({type(exc).__name__})"
                ) from exc
            log.warning("key set refresh failed (%s); keeping %d keys", exc, len(self._keys))
            return
        self._keys = {k.key_id: k for k in keys if k.key_id and k.algorithm_name == ALGORITHM}
        self._fetched_at = self._clock()


def _claims(claims: dict[str, Any], kid: str) -> AccessClaims:
    role, subject, token_id = claims.get("role"), claims.get("sub"), claims.get("jti")
    if role not in ROLES:
        raise TokenInvalidError(f"the token's role must be one of {', '.join(ROLES)}")
    if not isinstance(subject, str) or not isinstance(token_id, str):
        raise TokenInvalidError("the token's sub and jti must be strings")
    return AccessClaims(
        subject=subject,
        role=cast(Role, role),
        issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        token_id=token_id,
        key_id=kid,
    )
