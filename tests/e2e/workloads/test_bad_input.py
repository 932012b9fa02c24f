"""Bad requests get RFC 9457 problems (4xx), never a 500, never a partial write."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest

from operators.local.stack import LocalStack
from tests.e2e.workloads.saga_client import SagaClient


def _order(product: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_id": "bad-input",
        "items": [{"product_id": product, "quantity": 1}],
        "payment": {"card_token": "tok_visa"},
    }
    return {**body, **changes}


CASES: dict[str, tuple[Callable[[str], dict[str, Any]], int]] = {
    "unknown field": (lambda p: {**_order(p), "discount": 100}, 422),
    "zero quantity": (lambda p: _order(p, items=[{"product_id": p, "quantity": 0}]), 422),
    "negative quantity": (lambda p: _order(p, items=[{"product_id": p, "quantity": -3}]), 422),
    "no items": (lambda p: _order(p, items=[]), 422),
    "repeated product": (
        lambda p: _order(p, items=[{"product_id": p, "quantity": 1}] * 2),
        422,
    ),
    "unknown product": (lambda _: _order("sku-does-not-exist"), 422),
    "bad card token": (lambda p: _order(p, payment={"card_token": "<script>"}), 422),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
async def test_invalid_orders_are_problems_and_write_nothing(
    client: SagaClient, stack: LocalStack, case: str
) -> None:
    product = await client.seed(available=5)
    build, status = CASES[case]
    key = str(uuid.uuid4())
    response = await client.http.post(
        client.url("order", "/v1/orders"), json=build(product), headers={"Idempotency-Key": key}
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"]
    await _assert_nothing_written(stack, key)


# PostgreSQL refuses U+0000 in text: each such field must be refused at the edge, by name.
NUL_FIELDS: dict[str, tuple[Callable[[str], dict[str, Any]], str]] = {
    "customer_id": (lambda p: _order(p, customer_id="a\x00b"), "body.customer_id"),
    "product_id": (
        lambda p: _order(p, items=[{"product_id": f"{p}\x00", "quantity": 1}]),
        "body.items.0.product_id",
    ),
    "card_token": (
        lambda p: _order(p, payment={"card_token": "tok\x00visa"}),
        "body.payment.card_token",
    ),
}


@pytest.mark.parametrize("field", NUL_FIELDS)
async def test_a_nul_character_in_a_json_string_is_a_422_naming_the_field(
    client: SagaClient, stack: LocalStack, field: str
) -> None:
    product = await client.seed(available=5)
    build, location = NUL_FIELDS[field]
    key = str(uuid.uuid4())
    response = await client.http.post(
        client.url("order", "/v1/orders"), json=build(product), headers={"Idempotency-Key": key}
    )
    _assert_problem(response, 422)
    assert location in [e["location"] for e in response.json()["errors"]], response.text
    await _assert_nothing_written(stack, key)


# Every route with an id in its path: (workload, method, path template, the parameter's name).
ID_ROUTES = [
    ("order", "GET", "/v1/orders/{}", "order_id"),
    ("order", "GET", "/v1/orders/{}/events", "order_id"),
    ("order", "POST", "/v1/orders/{}/cancel", "order_id"),
    ("inventory", "GET", "/v1/inventory/{}", "product_id"),
    ("inventory", "PUT", "/v1/admin/inventory/{}", "product_id"),
    ("payment", "GET", "/v1/payments/{}", "order_id"),
    ("notification", "GET", "/v1/notifications/{}", "order_id"),
    ("catalog", "GET", "/v1/products/{}", "product_id"),
    ("catalog", "PUT", "/v1/products/{}", "product_id"),
]
PUT_BODIES = {
    "inventory": {"available": 1, "price_cents": 1},
    "catalog": {"name": "x", "category": "x"},
}
ODD_IDS = {
    "nul": "%00",
    "nul inside": "sku-a%00b",
    "invalid utf-8": "%ff%fe",
    "encoded surrogate": "%ED%A0%80",
    "newline": "sku-a%0Ab",
}


@pytest.mark.parametrize(
    "route", ID_ROUTES, ids=[f"{m} {p.format('id')}" for _, m, p, _ in ID_ROUTES]
)
@pytest.mark.parametrize("odd", ODD_IDS, ids=list(ODD_IDS))
async def test_an_odd_id_in_a_path_is_a_422_naming_the_parameter(
    client: SagaClient, stack: LocalStack, route: tuple[str, str, str, str], odd: str
) -> None:
    workload, method, template, parameter = route
    response = await client.http.request(
        method,
        client.url(workload, template.format(ODD_IDS[odd])),
        json=PUT_BODIES[workload] if method == "PUT" else None,
        headers={"Authorization": f"Bearer {stack.admin_token()}"},
    )
    _assert_problem(response, 422)
    assert f"path.{parameter}" in [e["location"] for e in response.json()["errors"]], response.text


async def test_malformed_json_oversized_body_and_missing_key_are_4xx(
    client: SagaClient, stack: LocalStack
) -> None:
    url = client.url("order", "/v1/orders")
    key = str(uuid.uuid4())
    malformed = await client.http.post(
        url,
        content=b'{"customer_id": ',
        headers={"Idempotency-Key": key, "content-type": "application/json"},
    )
    assert malformed.status_code == 400
    assert malformed.headers["content-type"] == "application/problem+json"

    huge = await client.http.post(
        url,
        content=b'{"x": "' + b"a" * 200_000 + b'"}',
        headers={"Idempotency-Key": key, "content-type": "application/json"},
    )
    assert huge.status_code == 413
    assert huge.json()["title"] == "Payload too large"

    product = await client.seed(available=1)
    no_key = await client.http.post(url, json=_order(product))
    assert no_key.status_code == 422
    assert any("Idempotency-Key" in e["location"] for e in no_key.json()["errors"])
    await _assert_nothing_written(stack, key)

    missing = await client.http.get(client.url("order", f"/v1/orders/{uuid.uuid4()}"))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_admin_endpoints_need_the_token(client: SagaClient) -> None:
    response = await client.http.put(
        client.url("inventory", "/v1/admin/inventory/sku-x"),
        json={"available": 1, "price_cents": 1},
    )
    assert response.status_code == 401
    wrong = await client.http.put(
        client.url("inventory", "/v1/admin/inventory/sku-x"),
        json={"available": 1, "price_cents": 1},
        headers={"Authorization": "Bearer nope"},
    )
    assert wrong.status_code == 401


def _assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"] == "application/problem+json", response.text
    problem = response.json()
    assert problem["status"] == status
    assert problem["correlation_id"] == response.headers["x-correlation-id"]


async def _assert_nothing_written(stack: LocalStack, key: str) -> None:
    conn = await asyncpg.connect(stack.postgres.dsn("order"))
    try:
        assert await conn.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = $1", key) == 0
    finally:
        await conn.close()
