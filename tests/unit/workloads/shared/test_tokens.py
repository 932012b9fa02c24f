"""Access-token verification (shared/tokens.py) against a key set held in memory.

Tokens are signed here with freshly generated RSA keys; the verifier fetches its JWKS through the
`fetch` seam, which counts its calls, so the cache and the refetch on an unknown kid are visible.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from workloads.shared.tokens import (
    AUDIENCE,
    ISSUER,
    KeysUnavailableError,
    TokenExpiredError,
    TokenInvalidError,
    TokenSignatureError,
    TokenVerifier,
    UnknownKeyError,
)

KEY_A = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KEY_B = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Issuer:
    """A JWKS endpoint in memory: which keys it publishes, and how often it was asked."""

    def __init__(self, **keys: rsa.RSAPrivateKey) -> None:
        self.keys = dict(keys)
        self.fetches = 0
        self.down = False

    async def fetch(self) -> dict[str, Any]:
        self.fetches += 1
        if self.down:
            raise OSError("connection refused")
        return {"keys": [jwk(kid, key) for kid, key in self.keys.items()]}


def jwk(kid: str, key: rsa.RSAPrivateKey) -> dict[str, Any]:
    public: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**public, "kid": kid, "alg": "RS256", "use": "sig"}


def sign(key: rsa.RSAPrivateKey, kid: str, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "role": "customer",
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def verifier(issuer: Issuer, **kwargs: Any) -> TokenVerifier:
    return TokenVerifier("http://identity.invalid/jwks", fetch=issuer.fetch, **kwargs)


async def test_a_valid_token_gives_typed_claims() -> None:
    claims = await verifier(Issuer(a=KEY_A)).verify(sign(KEY_A, "a", role="admin"))
    assert (claims.subject, claims.customer_id, claims.role, claims.key_id) == (
        "user-1",
        "user-1",
        "admin",
        "a",
    )
    assert claims.is_admin
    assert claims.expires_at > claims.issued_at


async def test_an_expired_token_is_rejected_as_expired() -> None:
    past = int(time.time()) - 3600
    with pytest.raises(TokenExpiredError, match="expired"):
        await verifier(Issuer(a=KEY_A)).verify(sign(KEY_A, "a", iat=past, exp=past + 300))


async def test_a_token_signed_by_another_key_under_a_known_kid_is_a_bad_signature() -> None:
    with pytest.raises(TokenSignatureError, match="signature"):
        await verifier(Issuer(a=KEY_A)).verify(sign(KEY_B, "a"))


async def test_a_tampered_payload_is_a_bad_signature() -> None:
    header, _, signature = sign(KEY_A, "a").split(".")
    forged_payload = jwt.utils.base64url_encode(b'{"sub":"someone-else","role":"admin"}')
    with pytest.raises(TokenSignatureError):
        await verifier(Issuer(a=KEY_A)).verify(f"{header}.{forged_payload.decode()}.{signature}")


async def test_an_unknown_kid_is_refetched_once_then_rejected() -> None:
    issuer = Issuer(a=KEY_A)
    check = verifier(issuer, refetch_interval_s=0)
    await check.verify(sign(KEY_A, "a"))
    with pytest.raises(UnknownKeyError, match="'zz'"):
        await check.verify(sign(KEY_B, "zz"))
    assert issuer.fetches == 2


async def test_a_key_rotated_in_is_fetched_on_its_first_token_and_the_old_still_verifies() -> None:
    issuer = Issuer(a=KEY_A)
    check = verifier(issuer, refetch_interval_s=0)
    old = sign(KEY_A, "a")
    await check.verify(old)
    issuer.keys["b"] = KEY_B
    assert (await check.verify(sign(KEY_B, "b"))).key_id == "b"
    assert (await check.verify(old)).key_id == "a"
    assert issuer.fetches == 2


async def test_known_keys_are_served_from_the_cache() -> None:
    issuer = Issuer(a=KEY_A)
    check = verifier(issuer)
    for _ in range(5):
        await check.verify(sign(KEY_A, "a"))
    assert issuer.fetches == 1


async def test_a_failed_refresh_keeps_the_keys_already_held() -> None:
    issuer, now = Issuer(a=KEY_A), [0.0]
    check = verifier(issuer, cache_s=10, clock=lambda: now[0])
    await check.verify(sign(KEY_A, "a"))
    issuer.down, now[0] = True, 60.0
    assert (await check.verify(sign(KEY_A, "a"))).key_id == "a"
    assert issuer.fetches == 2


async def test_no_key_set_at_all_is_keys_unavailable() -> None:
    issuer = Issuer(a=KEY_A)
    issuer.down = True
    with pytest.raises(KeysUnavailableError, match="could not be fetched"):
        await verifier(issuer).verify(sign(KEY_A, "a"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"aud": "someone-else"}, "not acceptable"),
        ({"iss": "evil"}, "not acceptable"),
        ({"role": "root"}, "role must be one of"),
        ({"jti": None}, "not acceptable"),
    ],
)
async def test_claims_outside_the_contract_are_invalid(
    overrides: dict[str, Any], message: str
) -> None:
    claims = {k: v for k, v in overrides.items() if v is not None}
    token = sign(KEY_A, "a", **claims)
    if overrides.get("jti", "") is None:
        payload = jwt.decode(token, options={"verify_signature": False})
        del payload["jti"]
        token = jwt.encode(payload, KEY_A, algorithm="RS256", headers={"kid": "a"})
    with pytest.raises(TokenInvalidError, match=message):
        await verifier(Issuer(a=KEY_A)).verify(token)


async def test_an_unsigned_or_hmac_token_is_refused_before_any_key_is_looked_up() -> None:
    issuer = Issuer(a=KEY_A)
    unsigned = jwt.encode({"sub": "x"}, "", algorithm="none", headers={"kid": "a"})
    hmac = jwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256", headers={"kid": "a"})
    for token in (unsigned, hmac, "not-a-jwt"):
        with pytest.raises(TokenInvalidError):
            await verifier(issuer).verify(token)
    assert issuer.fetches == 0
