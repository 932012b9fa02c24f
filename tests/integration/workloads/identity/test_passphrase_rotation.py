"""The signing-key passphrase rotates without losing a key (ADR 0051).

Keys stored under passphrase A; a keyring started with B as the passphrase and A as the previous
one re-encrypts them under B, keeps the same kid signing, and from then on B alone opens every
key while A opens none. A keyring given a passphrase that opens nothing refuses to start, naming
the settings. Runs on the local stack's real PostgreSQL, in a schema of its own (the identity
migration applied there), dropped after.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from operators.local.stack import LocalStack
from operators.paths import REPO_ROOT
from workloads.identity.signing import Keyring
from workloads.shared.database import Pool
from workloads.shared.tokens import ALGORITHM, AUDIENCE, ISSUER

MIGRATION = REPO_ROOT / "workloads" / "identity" / "migrations" / "0001_identity.sql"
OLD = "old-passphrase-0123456789"
NEW = "new-passphrase-9876543210"


@pytest.fixture
async def pool(stack: LocalStack) -> AsyncIterator[Pool]:
    schema = f"rotation_{uuid.uuid4().hex[:12]}"
    dsn = stack.postgres.dsn("identity")
    admin = await asyncpg.connect(dsn)
    await admin.execute(f"CREATE SCHEMA {schema}")
    scoped: Pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=2, server_settings={"search_path": schema}
    )
    try:
        async with scoped.acquire() as conn:
            await conn.execute(MIGRATION.read_text())
        yield scoped
    finally:
        await scoped.close()
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


def _keyring(passphrase: str, previous: str | None = None) -> Keyring:
    return Keyring(
        passphrase=passphrase,
        previous_passphrase=previous,
        issuer=ISSUER,
        audience=AUDIENCE,
        access_ttl_s=300,
        reload_s=5,
    )


def _opens(pem: bytes, passphrase: str) -> bool:
    try:
        serialization.load_pem_private_key(pem, passphrase.encode())
    except (ValueError, TypeError):
        return False
    return True


async def test_a_new_passphrase_rewraps_every_key_and_the_old_one_opens_none(pool: Pool) -> None:
    before = _keyring(OLD)
    await before.ensure(pool)
    await before.rotate(pool)  # two keys: one retired, one signing
    signing = before.current
    assert signing is not None

    after = _keyring(NEW, previous=OLD)
    await after.ensure(pool)

    rows = await pool.fetch("SELECT kid, private_pem FROM signing_keys")
    assert len(rows) == 2
    assert all(_opens(r["private_pem"], NEW) for r in rows)
    assert not any(_opens(r["private_pem"], OLD) for r in rows)
    assert after.current is not None
    assert after.current.kid == signing.kid
    token = after.mint(subject="c-1", role="customer")
    public = signing.private.public_key()  # what the JWKS already publishes verifies it
    claims = jwt.decode(token, public, algorithms=[ALGORITHM], audience=AUDIENCE)
    assert claims["sub"] == "c-1"

    alone = _keyring(NEW)  # the previous passphrase dropped: still starts
    await alone.ensure(pool)
    assert alone.current is not None
    assert alone.current.kid == signing.kid


async def test_a_passphrase_that_opens_nothing_refuses_to_start_naming_the_settings(
    pool: Pool,
) -> None:
    await _keyring(OLD).ensure(pool)
    with pytest.raises(RuntimeError, match="SIGNING_KEY_PASSPHRASE is not the one"):
        await _keyring(NEW).ensure(pool)
    with pytest.raises(RuntimeError, match="nor SIGNING_KEY_PASSPHRASE_PREVIOUS is"):
        await _keyring(NEW, previous="a-third-passphrase-000000").ensure(pool)
    rows = await pool.fetch("SELECT private_pem FROM signing_keys")
    assert all(_opens(r["private_pem"], OLD) for r in rows)  # nothing rewritten
