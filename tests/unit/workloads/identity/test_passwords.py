"""Password hashes (workloads/identity/passwords.py): the profile, verification, rehashing."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY

from workloads.identity import passwords


async def test_a_hash_is_argon2id_with_owasps_minimum_profile() -> None:
    stored = await passwords.hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$"), stored
    assert not passwords.needs_rehash(stored)


async def test_only_the_right_password_verifies() -> None:
    stored = await passwords.hash_password("correct horse battery staple")
    assert await passwords.verify_password(stored, "correct horse battery staple")
    assert not await passwords.verify_password(stored, "Correct horse battery staple")


async def test_an_unknown_account_never_verifies() -> None:
    assert not await passwords.verify_password(None, "an account that does not exist")


async def test_a_hash_of_the_former_profile_verifies_and_asks_to_be_rehashed() -> None:
    former = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY).hash("s3cret password")
    assert former.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert await passwords.verify_password(former, "s3cret password")
    assert passwords.needs_rehash(former)
