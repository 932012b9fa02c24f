"""Password hashing: argon2id (argon2-cffi's RFC 9106 low-memory profile), off the event loop.

Hashing and verifying cost tens of milliseconds of CPU by design, so both run in a worker
thread. `verify` of an unknown account still hashes (against a fixed dummy hash), so the answer
takes as long whether the account exists or not. Passwords are never logged or kept.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_DUMMY = _hasher.hash("an account that does not exist")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; an absent hash costs the same and answers False."""

    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
