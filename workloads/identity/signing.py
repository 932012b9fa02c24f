"""Signing keys: RS256 keys kept in the database, one signing at a time, rotated on demand.

The newest unretired key signs every access token, its `kid` in the token's header. Rotation
(`rotate`) adds a key and retires the others in one transaction under an advisory lock (two
rotations never interleave; the first start-up of several replicas makes exactly one key).
A retired key stays in the JWKS (`published_jwks`) for the access lifetime plus the reload
interval plus a minute after its retirement: a replica may sign with it until it reloads, and
every token it signed must keep verifying until it expires. Keys past that are deleted.

Private keys are stored as PKCS#8 encrypted with SIGNING_KEY_PASSPHRASE and decrypted only in
memory; neither they nor the passphrase are ever logged. The passphrase rotates (ADR 0051): start
with the new one as SIGNING_KEY_PASSPHRASE and the old one as SIGNING_KEY_PASSPHRASE_PREVIOUS, and
`ensure` re-encrypts, under the keys' lock, every stored key that only the previous one opens;
keys are read with either until the previous one is dropped. Failure: a key that neither opens
fails the load with an error naming the settings; the service does not start (or keeps its
previous key).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any, cast

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from workloads.shared.database import Pool, transaction
from workloads.shared.tokens import ALGORITHM, Role

log = logging.getLogger(__name__)
_KEYS_LOCK = 0x4B455953  # "KEYS"
RETENTION_MARGIN_S = 60


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey


class Keyring:
    """This replica's signing key, loaded from the database and refreshed by `reload`."""

    def __init__(
        self,
        *,
        passphrase: str,
        issuer: str,
        audience: str,
        access_ttl_s: int,
        reload_s: float,
        previous_passphrase: str | None = None,
    ) -> None:
        self._passphrase = passphrase.encode()
        self._previous = previous_passphrase.encode() if previous_passphrase else None
        self.issuer, self.audience = issuer, audience
        self.access_ttl_s, self.reload_s = access_ttl_s, reload_s
        self.current: SigningKey | None = None

    @property
    def retention_s(self) -> float:
        return self.access_ttl_s + self.reload_s + RETENTION_MARGIN_S

    async def ensure(self, pool: Pool) -> None:
        """Re-encrypt keys stored under the previous passphrase, create the first key if there
        is none, then load the signing key."""
        async with transaction(pool) as conn:
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _KEYS_LOCK)
            if self._previous is not None:
                await self._rewrap(conn)
            if not await conn.fetchval(
                "SELECT count(*) FROM signing_keys WHERE retired_at IS NULL"
            ):
                await self._insert(conn, await asyncio.to_thread(_generate))
        await self.reload(pool)

    async def rotate(self, pool: Pool) -> str:
        """Sign with a new key from now on; returns its kid."""
        key = await asyncio.to_thread(_generate)
        async with transaction(pool) as conn:
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _KEYS_LOCK)
            await conn.execute(
                "UPDATE signing_keys SET retired_at = clock_timestamp() WHERE retired_at IS NULL"
            )
            await self._insert(conn, key)
            await conn.execute(
                "DELETE FROM signing_keys WHERE retired_at < now() - make_interval(secs => $1)",
                self.retention_s,
            )
        self.current = key
        return key.kid

    async def reload(self, pool: Pool) -> None:
        row = await pool.fetchrow(
            "SELECT kid, private_pem FROM signing_keys WHERE retired_at IS NULL"
            " ORDER BY created_at DESC LIMIT 1"
        )
        if row is None or (self.current is not None and self.current.kid == row["kid"]):
            return
        self.current = SigningKey(row["kid"], await asyncio.to_thread(self._decrypt, row))

    def mint(self, *, subject: str, role: Role) -> str:
        if self.current is None:
            raise RuntimeError("no signing key loaded: Keyring.ensure() runs at start-up")
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "role": role,
            "iat": now,
            "exp": now + self.access_ttl_s,
            "jti": uuid.uuid4().hex,
        }
        headers = {"kid": self.current.kid, "typ": "JWT"}
        return jwt.encode(claims, self.current.private, algorithm=ALGORITHM, headers=headers)

    async def published_jwks(self, pool: Pool) -> dict[str, Any]:
        rows = await pool.fetch(
            "SELECT public_jwk FROM signing_keys"
            " WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)"
            " ORDER BY created_at DESC",
            self.retention_s,
        )
        return {"keys": [json.loads(r["public_jwk"]) for r in rows]}

    async def _rewrap(self, conn: Any) -> None:
        """Re-encrypt keys only the previous passphrase opens; raise if one opens with neither."""
        for row in await conn.fetch("SELECT kid, private_pem FROM signing_keys"):
            key, rewrap = await asyncio.to_thread(self._open, row)
            if rewrap:
                await conn.execute(
                    "UPDATE signing_keys SET private_pem = $2 WHERE kid = $1",
                    row["kid"],
                    await asyncio.to_thread(self._seal, key),
                )
                log.info("signing key %s re-encrypted under the current passphrase", row["kid"])

    def _seal(self, private: rsa.RSAPrivateKey) -> bytes:
        return private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )

    async def _insert(self, conn: Any, key: SigningKey) -> None:
        pem = self._seal(key.private)
        public = jwt.algorithms.RSAAlgorithm.to_jwk(key.private.public_key(), as_dict=True)
        jwk = {**public, "kid": key.kid, "alg": ALGORITHM, "use": "sig"}
        await conn.execute(
            "INSERT INTO signing_keys (kid, private_pem, public_jwk) VALUES ($1, $2, $3)",
            key.kid,
            pem,
            json.dumps(jwk),
        )

    def _decrypt(self, row: Any) -> rsa.RSAPrivateKey:
        return self._open(row)[0]

    def _open(self, row: Any) -> tuple[rsa.RSAPrivateKey, bool]:
        """The key, and whether it opened only with the previous passphrase."""
        for passphrase, previous in ((self._passphrase, False), (self._previous, True)):
            if passphrase is None:
                continue
            try:
                key = serialization.load_pem_private_key(row["private_pem"], passphrase)
            except (ValueError, TypeError):
                continue
            return cast(rsa.RSAPrivateKey, key), previous
        tried = "SIGNING_KEY_PASSPHRASE" + (
            " nor SIGNING_KEY_PASSPHRASE_PREVIOUS is" if self._previous else " is not"
        )
        raise RuntimeError(
            f"signing key {row['kid']} does not decrypt: {tried} the one it was stored with"
        )


def _generate() -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(uuid.uuid4().hex[:16], private)
