"""The identity service layer: register, log in (rate limited), refresh, log out.

Login checks the client IP's limit, then the account's (workloads/shared/ratelimit.py), before
any password is hashed: a refused attempt costs no CPU and says when to retry. When Redis cannot
count, login fails closed (503): an uncounted attempt is never let through. Wrong e-mail and
wrong password answer alike (401, same work). Nothing here logs a password or a token.
"""

from __future__ import annotations

import uuid

import asyncpg
from prometheus_client import Counter

from workloads.identity import passwords, sessions
from workloads.identity.schemas import LoginIn, RegisterIn, TokenPair, UserOut
from workloads.identity.signing import Keyring
from workloads.shared.database import Pool
from workloads.shared.problems import ProblemError
from workloads.shared.ratelimit import RateLimiterUnavailableError, SlidingWindowLimiter
from workloads.shared.tokens import Role

logins = Counter(
    "conveyor_identity_logins_total",
    "Login attempts by outcome (succeeded, rejected, rate_limited, unavailable)",
    ["outcome"],
)
refreshes = Counter(
    "conveyor_identity_refreshes_total",
    "Refresh-token presentations by outcome (rotated, rejected, reused)",
    ["outcome"],
)


class RateLimitedError(Exception):
    """Too many login attempts for a client or an account: answered 429 with Retry-After."""

    def __init__(self, limiter: str, retry_after_s: int) -> None:
        super().__init__(f"{limiter}: retry in {retry_after_s} s")
        self.limiter, self.retry_after_s = limiter, retry_after_s


async def register(pool: Pool, body: RegisterIn) -> UserOut:
    user_id = uuid.uuid4()
    password_hash = await passwords.hash_password(body.password)
    try:
        await pool.execute(
            "INSERT INTO users (user_id, email, password_hash, role) VALUES ($1, $2, $3, $4)",
            user_id,
            body.email,
            password_hash,
            body.role,
        )
    except asyncpg.UniqueViolationError:
        raise ProblemError(
            409, "Already registered", "An account with this e-mail exists."
        ) from None
    return UserOut(user_id=str(user_id), email=body.email, role=body.role)


async def login(
    pool: Pool,
    body: LoginIn,
    *,
    client_ip: str,
    keyring: Keyring,
    per_client: SlidingWindowLimiter,
    per_account: SlidingWindowLimiter,
    refresh_ttl_s: int,
) -> TokenPair:
    try:
        for limiter, key in ((per_client, client_ip), (per_account, body.email)):
            decision = await limiter.acquire(key)
            if not decision.allowed:
                logins.labels("rate_limited").inc()
                raise RateLimitedError(limiter.name, decision.retry_after_s)
    except RateLimiterUnavailableError:
        logins.labels("unavailable").inc()
        raise ProblemError(
            503, "Login unavailable", "Login attempts cannot be counted right now; retry soon."
        ) from None
    row = await pool.fetchrow(
        "SELECT user_id, password_hash, role FROM users WHERE email = $1", body.email
    )
    matches = await passwords.verify_password(row["password_hash"] if row else None, body.password)
    if row is None or not matches:
        logins.labels("rejected").inc()
        raise ProblemError(401, "Invalid credentials", "The e-mail or the password is wrong.")
    if passwords.needs_rehash(row["password_hash"]):
        new_hash = await passwords.hash_password(body.password)
        await pool.execute(
            "UPDATE users SET password_hash = $2 WHERE user_id = $1", row["user_id"], new_hash
        )
    refresh = await sessions.open_family(pool, user_id=row["user_id"], ttl_s=refresh_ttl_s)
    logins.labels("succeeded").inc()
    return _pair(keyring, str(row["user_id"]), row["role"], refresh)


async def refresh(pool: Pool, token: str, *, keyring: Keyring, refresh_ttl_s: int) -> TokenPair:
    try:
        rotated = await sessions.rotate(pool, token, ttl_s=refresh_ttl_s)
    except sessions.RefreshReusedError as exc:
        refreshes.labels("reused").inc()
        raise ProblemError(401, "Refresh token reused", str(exc)) from None
    except sessions.RefreshRejectedError as exc:
        refreshes.labels("rejected").inc()
        raise ProblemError(401, "Invalid refresh token", str(exc)) from None
    refreshes.labels("rotated").inc()
    return _pair(keyring, rotated.user_id, rotated.role, rotated.refresh_token)


def _pair(keyring: Keyring, user_id: str, role: Role, refresh_token: str) -> TokenPair:
    return TokenPair(
        access_token=keyring.mint(subject=user_id, role=role),
        expires_in=keyring.access_ttl_s,
        refresh_token=refresh_token,
    )
