"""The identity service as a process: accounts, sessions, limits and keys, seen over HTTP.

Tokens are checked by the shared verifier (workloads/shared/tokens.py) against the running
service's JWKS, as the gateway and other services check them.
"""

from __future__ import annotations

import asyncpg
import jwt
from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY

from tests.e2e.workloads.identity.conftest import PASSWORD, IdentityClient
from workloads.shared.tokens import TokenSignatureError, TokenVerifier


async def test_a_registered_customer_logs_in_and_the_token_verifies(
    identity: IdentityClient,
) -> None:
    email = await identity.register()
    tokens = await identity.tokens(email)
    claims = await TokenVerifier(identity.jwks_url()).verify(tokens["access_token"])
    assert claims.role == "customer"
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] > 0


async def test_nobody_registers_an_admin_without_the_admin_token(identity: IdentityClient) -> None:
    body = {"email": "wannabe@example.com", "password": PASSWORD, "role": "admin"}
    response = await identity.post("/v1/users", body)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_wrong_password_is_401_and_a_duplicate_registration_409(
    identity: IdentityClient,
) -> None:
    email = await identity.register()
    assert (await identity.login(email, "not the password")).status_code == 401
    again = await identity.post("/v1/users", {"email": email, "password": PASSWORD})
    assert again.status_code == 409


async def _stored_hash(identity: IdentityClient, email: str, replace: str | None = None) -> str:
    conn = await asyncpg.connect(identity.stack.postgres.dsn("identity"))
    try:
        if replace is not None:
            await conn.execute(
                "UPDATE users SET password_hash = $2 WHERE email = $1", email, replace
            )
        stored: str = await conn.fetchval("SELECT password_hash FROM users WHERE email = $1", email)
    finally:
        await conn.close()
    return stored


async def test_a_hash_of_the_former_profile_is_rewritten_at_the_next_login(
    identity: IdentityClient,
) -> None:
    email = await identity.register()
    former = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY).hash(PASSWORD)
    await _stored_hash(identity, email, replace=former)
    await identity.tokens(email)  # the old hash still verifies
    assert (await _stored_hash(identity, email)).startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_too_many_logins_for_one_account_are_429_with_retry_after(
    identity: IdentityClient,
) -> None:
    email = await identity.register()
    answers = [(await identity.login(email, "wrong password")).status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]
    refused = await identity.login(email)  # even the right password waits its turn
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "account" in refused.json()["detail"]


async def test_too_many_logins_from_one_client_are_429_across_accounts(
    identity: IdentityClient,
) -> None:
    answers = [
        (await identity.login(f"nobody-{i}@example.com", "wrong password")).status_code
        for i in range(21)
    ]
    assert answers == [401] * 20 + [429]
    refused = await identity.login("nobody-else@example.com", "wrong password")
    assert int(refused.headers["Retry-After"]) >= 1
    assert "client" in refused.json()["detail"]


async def test_a_refresh_rotates_and_reusing_the_old_token_revokes_the_family(
    identity: IdentityClient,
) -> None:
    first = await identity.tokens(await identity.register())
    second = await identity.refresh(first["refresh_token"])
    assert second.status_code == 200
    newer = second.json()["refresh_token"]
    assert newer != first["refresh_token"]
    reused = await identity.refresh(first["refresh_token"])
    assert reused.status_code == 401
    assert reused.json()["title"] == "Refresh token reused"
    assert (await identity.refresh(newer)).status_code == 401  # the whole family is gone


async def test_logout_revokes_the_session(identity: IdentityClient) -> None:
    tokens = await identity.tokens(await identity.register())
    out = await identity.post("/v1/auth/logout", {"refresh_token": tokens["refresh_token"]})
    assert out.status_code == 204
    assert (await identity.refresh(tokens["refresh_token"])).status_code == 401


async def test_after_a_rotation_new_tokens_use_the_new_key_and_old_ones_still_verify(
    identity: IdentityClient,
) -> None:
    email = await identity.register()
    verifier = TokenVerifier(identity.jwks_url(), refetch_interval_s=0)
    old = (await identity.tokens(email))["access_token"]
    old_kid = (await verifier.verify(old)).key_id
    new_kid = await identity.rotate()
    assert new_kid != old_kid
    fresh = (await identity.tokens(email))["access_token"]
    assert jwt.get_unverified_header(fresh)["kid"] == new_kid
    assert (await verifier.verify(fresh)).key_id == new_kid
    assert (await verifier.verify(old)).key_id == old_kid
    published = (await identity.http.get(identity.jwks_url())).json()["keys"]
    assert {old_kid, new_kid} <= {k["kid"] for k in published}


async def test_a_token_with_a_forged_signature_is_rejected(identity: IdentityClient) -> None:
    token = (await identity.tokens(await identity.register()))["access_token"]
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    try:
        await TokenVerifier(identity.jwks_url()).verify(forged)
    except TokenSignatureError:
        return
    raise AssertionError("a forged signature verified")


async def test_bad_input_is_a_problem_document(identity: IdentityClient) -> None:
    response = await identity.post("/v1/users", {"email": "not-an-email", "password": "short"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert PASSWORD not in response.text
