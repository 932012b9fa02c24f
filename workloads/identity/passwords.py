"""Password hashing: argon2id with OWASP's minimum profile (ADR 0059), off the event loop.

The profile is 19 MiB of memory, 2 passes, 1 lane (the OWASP Password Storage Cheat Sheet's
argon2id minimum): about 40 ms of one core per hash here, a sixth of RFC 9106's low-memory profile
(64 MiB, 3 passes, 4 lanes) used before, which made a sign-in storm (the black_friday scenario's
spike) the first thing to fail. A hash made with another profile still verifies, and `needs_rehash`
says so: login rewrites it with this profile once the password matched (handlers.login).

Hashing and verifying cost tens of milliseconds of CPU by design, so both run in a worker
thread. `verify` of an unknown account still hashes (against a fixed dummy hash), so the answer
takes as long whether the account exists or not. Passwords are never logged or kept.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP: "Argon2id with a minimum configuration of 19 MiB of memory, an iteration count of 2,
# and 1 degree of parallelism".
MEMORY_KIB = 19 * 1024
PASSES = 2
LANES = 1
_hasher = PasswordHasher(
    time_cost=PASSES,
    memory_cost=MEMORY_KIB,
    parallelism=LANES,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)
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
