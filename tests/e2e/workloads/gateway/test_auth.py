"""Authentication and authorisation at the gateway, with the real identity service behind it.

Every user here registers and logs in through the gateway; tokens are identity's own (RS256,
verified by the gateway against identity's JWKS). Forged and expired tokens are made here: one
signed with a key of the test's own, one signed with identity's current key but already expired.
"""

from __future__ import annotations

import time
import uuid

import asyncpg
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from operators.local.secrets import read_or_create
from operators.local.stack import LocalStack
from tests.e2e.workloads.gateway.edge_client import EdgeClient
from tests.e2e.workloads.saga_client import SagaClient
from workloads.identity.signing import Keyring
from workloads.shared.tokens import ALGORITHM, AUDIENCE, ISSUER


def _claims(subject: str, *, lifetime_s: int) -> dict[str, object]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "role": "customer", "iat": now,
            "exp": now + lifetime_s, "jti": uuid.uuid4().hex}  # fmt: skip


async def _identity_signed(stack: LocalStack, subject: str, *, lifetime_s: int) -> str:
    """A token signed with identity's current key (read as identity reads it), any lifetime."""
    passphrase = read_or_create(stack.settings.secrets_dir / "signing-key-passphrase")
    keyring = Keyring(passphrase=passphrase, issuer=ISSUER, audience=AUDIENCE,
                      access_ttl_s=lifetime_s, reload_s=1)  # fmt: skip
    pool = await asyncpg.create_pool(stack.postgres.dsn("identity"), min_size=1, max_size=1)
    try:
        await keyring.reload(pool)
    finally:
        await pool.close()
    return keyring.mint(subject=subject, role="customer")


def _is_problem(response: object, status: int) -> None:
    assert getattr(response, "status_code", None) == status, getattr(response, "text", response)
    headers = getattr(response, "headers", {})
    assert headers["content-type"] == "application/problem+json"


async def test_an_order_route_without_a_token_is_401_problem_json(edge: EdgeClient) -> None:
    response = await edge.request("GET", f"/v1/orders/{uuid.uuid4()}")
    _is_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_token_signed_with_another_key_is_401(edge: EdgeClient) -> None:
    user = await edge.user()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = jwt.get_unverified_header(user.access_token)["kid"]  # identity's kid, not its key
    forged = jwt.encode(_claims(user.user_id, lifetime_s=300), key, algorithm=ALGORITHM,
                        headers={"kid": kid})  # fmt: skip
    _is_problem(await edge.request("GET", f"/v1/orders/{uuid.uuid4()}", token=forged), 401)


async def test_an_expired_token_is_401_while_a_live_one_of_the_same_key_is_not(
    edge: EdgeClient, stack: LocalStack
) -> None:
    user = await edge.user()
    expired = await _identity_signed(stack, user.user_id, lifetime_s=-120)
    live = await _identity_signed(stack, user.user_id, lifetime_s=120)
    path = f"/v1/orders/{uuid.uuid4()}"
    _is_problem(await edge.request("GET", path, token=expired), 401)
    assert (await edge.request("GET", path, token=live)).status_code == 404  # past the door


async def test_a_customer_may_not_write_stock_or_products_and_an_admin_may(
    edge: EdgeClient,
) -> None:
    customer, admin = await edge.user(), await edge.user(admin=True)
    sku = f"sku-{uuid.uuid4().hex[:12]}"
    stock = {"available": 5, "price_cents": 1000}
    path = f"/v1/admin/inventory/{sku}"
    _is_problem(await edge.request("PUT", path, token=customer.access_token, json=stock), 403)
    product = {"name": "A thing", "category": "things", "price_cents": 1000}
    put = await edge.request("PUT", f"/v1/products/{sku}", token=customer.access_token,
                             json=product)  # fmt: skip
    _is_problem(put, 403)
    allowed = await edge.request("PUT", path, token=admin.access_token, json=stock)
    assert allowed.status_code in {200, 201, 204}, allowed.text


async def test_a_customer_sees_its_own_order_and_not_another_customers(
    edge: EdgeClient, client: SagaClient
) -> None:
    owner, other = await edge.user(), await edge.user()
    product = await client.seed(available=5)
    order_id = await edge.place_ok(owner, product)
    mine = await edge.request("GET", f"/v1/orders/{order_id}", token=owner.access_token)
    assert mine.status_code == 200, mine.text
    assert mine.json()["customer_id"] == owner.user_id
    theirs = await edge.request("GET", f"/v1/orders/{order_id}", token=other.access_token)
    _is_problem(theirs, 404)
    placed_for_another = await edge.place(other, product)  # a body naming someone else
    assert placed_for_another.status_code == 202  # its own customer id: allowed
    body = {"customer_id": owner.user_id, "items": [{"product_id": product, "quantity": 1}],
            "payment": {"card_token": "tok_visa"}}  # fmt: skip
    impostor = await edge.request("POST", "/v1/orders", token=other.access_token, json=body,
                                  headers={"Idempotency-Key": str(uuid.uuid4())})  # fmt: skip
    assert impostor.status_code in {403, 404}, impostor.text


async def test_refresh_rotates_through_the_gateway_and_reuse_revokes_the_family(
    edge: EdgeClient,
) -> None:
    user = await edge.user()
    second = await edge.request("POST", "/v1/auth/refresh",
                                json={"refresh_token": user.refresh_token})  # fmt: skip
    assert second.status_code == 200, second.text
    newer = second.json()
    assert newer["refresh_token"] != user.refresh_token
    fresh = await edge.request("GET", f"/v1/orders/{uuid.uuid4()}", token=newer["access_token"])
    assert fresh.status_code == 404  # the rotated access token is accepted by the gateway
    reused = await edge.request("POST", "/v1/auth/refresh",
                                json={"refresh_token": user.refresh_token})  # fmt: skip
    _is_problem(reused, 401)
    family_gone = await edge.request("POST", "/v1/auth/refresh",
                                     json={"refresh_token": newer["refresh_token"]})  # fmt: skip
    _is_problem(family_gone, 401)
