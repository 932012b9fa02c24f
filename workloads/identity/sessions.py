"""Sessions as refresh-token families: opaque tokens, rotated on every use, stored hashed.

A login opens a family and hands out its first refresh token (32 random bytes, URL-safe); only
its SHA-256 is stored. `rotate` exchanges a token for the next one in the same family, in one
transaction that locks the token's row: a token takes part in at most one rotation. Presenting a
token that was already rotated is reuse — a copy leaked to someone — so the whole family is
revoked (the legitimate holder logs in again) and the caller gets `RefreshReusedError`.
`revoke` (logout) ends a family at once; both are idempotent.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from workloads.shared.database import Pool, transaction
from workloads.shared.tokens import Role


class RefreshRejectedError(Exception):
    """The refresh token is unknown, expired or of a revoked session."""


class RefreshReusedError(RefreshRejectedError):
    """The refresh token was already rotated: its family is now revoked."""


@dataclass(frozen=True)
class Rotated:
    user_id: str
    role: Role
    refresh_token: str


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def _issue(conn: Any, family_id: uuid.UUID, ttl_s: int) -> str:
    token = secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO refresh_tokens (token_hash, family_id, expires_at)"
        " VALUES ($1, $2, now() + make_interval(secs => $3))",
        _digest(token),
        family_id,
        ttl_s,
    )
    return token


async def open_family(pool: Pool, *, user_id: uuid.UUID, ttl_s: int) -> str:
    """A new session for the user; returns its first refresh token."""
    family_id = uuid.uuid4()
    async with transaction(pool) as conn:
        await conn.execute(
            "INSERT INTO refresh_families (family_id, user_id) VALUES ($1, $2)", family_id, user_id
        )
        return await _issue(conn, family_id, ttl_s)


async def rotate(pool: Pool, token: str, *, ttl_s: int) -> Rotated:
    reused = False
    async with transaction(pool) as conn:
        row = await conn.fetchrow(
            "SELECT t.family_id, t.used_at, t.expires_at < now() AS expired, f.revoked_at,"
            " u.user_id, u.role"
            " FROM refresh_tokens t JOIN refresh_families f USING (family_id)"
            " JOIN users u USING (user_id)"
            " WHERE t.token_hash = $1 FOR UPDATE OF t",
            _digest(token),
        )
        if row is None or row["revoked_at"] is not None or row["expired"]:
            raise RefreshRejectedError("the refresh token is not valid; log in again")
        if row["used_at"] is not None:
            await _revoke(conn, row["family_id"], "reuse")
            reused = True
        else:
            await conn.execute(
                "UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1", _digest(token)
            )
            fresh = await _issue(conn, row["family_id"], ttl_s)
    if reused:  # raised after the commit: the revocation must stick
        raise RefreshReusedError("the refresh token was already used; the session is revoked")
    return Rotated(str(row["user_id"]), row["role"], fresh)


async def revoke(pool: Pool, token: str) -> None:
    """End the session the token belongs to (any token of it, rotated or not)."""
    async with transaction(pool) as conn:
        family_id = await conn.fetchval(
            "SELECT family_id FROM refresh_tokens WHERE token_hash = $1", _digest(token)
        )
        if family_id is not None:
            await _revoke(conn, family_id, "logout")


async def _revoke(conn: Any, family_id: uuid.UUID, reason: str) -> None:
    await conn.execute(
        "UPDATE refresh_families SET revoked_at = now(), revoked_reason = $2"
        " WHERE family_id = $1 AND revoked_at IS NULL",
        family_id,
        reason,
    )
