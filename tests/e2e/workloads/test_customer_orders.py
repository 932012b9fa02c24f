"""The read side on the real services: a customer's orders, newest first, rebuilt, read back.

The order service projects its event store into `customer_orders` (ADR 0035). These tests read
it over HTTP: keyset pages newest first, a read that carries a write's consistency token sees
that write (or answers 504 within its bound), and `conveyor projections rebuild orders` folds
the same rows again from the history.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg

from operators.local.stack import LocalStack
from tests.e2e.workloads.saga_client import SagaClient
from tests.support.eventually import eventually

CONVEYOR = str(Path(sys.executable).with_name("conveyor"))
SETTLED = {"SHIPPED", "CANCELLED"}  # nothing moves these orders any more


def _customer() -> str:
    return f"customer-{uuid.uuid4().hex[:12]}"


async def _page(client: SagaClient, customer: str, **params: Any) -> dict[str, Any]:
    response = await client.http.get(
        client.url("order", f"/v1/customers/{customer}/orders"), params=params, timeout=30
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _place(
    client: SagaClient, product: str, customer: str, card: str = "tok_visa"
) -> dict[str, Any]:
    response = await client.place(product, 1, customer=customer, card=card)
    assert response.status_code == 202, response.text
    accepted: dict[str, Any] = response.json()
    return accepted


async def test_a_read_with_the_write_s_token_sees_the_order_just_placed(client: SagaClient) -> None:
    product = await client.seed(available=10)
    customer = _customer()
    for _ in range(3):
        accepted = await _place(client, product, customer)
        page = await _page(client, customer, consistency_token=accepted["consistency_token"])
        assert page["orders"][0]["order_id"] == accepted["order_id"], page


async def test_a_token_the_read_model_never_reaches_is_a_504_problem(client: SagaClient) -> None:
    product = await client.seed(available=10)
    accepted = await _place(client, product, _customer())
    other = _customer()  # another customer's list never shows this order
    response = await client.http.get(
        client.url("order", f"/v1/customers/{other}/orders"),
        params={"consistency_token": accepted["consistency_token"]},
        timeout=30,
    )
    assert response.status_code == 504, response.text
    assert response.headers["content-type"] == "application/problem+json"
    bad = await client.http.get(
        client.url("order", f"/v1/customers/{other}/orders"), params={"consistency_token": "x"}
    )
    assert bad.status_code == 400


async def test_a_customer_s_orders_come_newest_first_in_keyset_pages(client: SagaClient) -> None:
    product = await client.seed(available=20)
    customer = _customer()
    placed = [await _place(client, product, customer) for _ in range(5)]
    await _page(client, customer, consistency_token=placed[-1]["consistency_token"])

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(3):
        page = await _page(client, customer, limit=2, **({"cursor": cursor} if cursor else {}))
        assert len(page["orders"]) <= 2
        seen += [o["order_id"] for o in page["orders"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [p["order_id"] for p in reversed(placed)]
    assert cursor is None
    stamps = [o["placed_at"] for o in (await _page(client, customer))["orders"]]
    assert stamps == sorted(stamps, reverse=True)
    bad = await client.http.get(
        client.url("order", f"/v1/customers/{customer}/orders"), params={"cursor": "bm9wZQ"}
    )
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"


async def test_the_rebuilt_projection_equals_the_live_one(
    client: SagaClient, stack: LocalStack
) -> None:
    product = await client.seed(available=20)
    customer = _customer()
    cards = ["tok_visa", "tok_decline", "tok_visa", "tok_visa"]
    placed = [await _place(client, product, customer, card) for card in cards]
    ids = [p["order_id"] for p in placed]
    finals = [await client.wait_status(o, SETTLED, timeout_s=90) for o in ids]

    async def caught_up() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = (await _page(client, customer, limit=100))["orders"]
        shown = {r["order_id"]: r["version"] for r in rows}
        assert shown == {f["order_id"]: f["version"] for f in finals}, "projection behind"
        return rows

    live = await eventually(caught_up, within_s=60)
    assert {r["status"] for r in live} == {"SHIPPED", "CANCELLED"}
    assert all(r["shipment_id"] for r in live if r["status"] == "SHIPPED")
    conn = await asyncpg.connect(stack.postgres.dsn("order"))
    try:  # damage the live rows: only a rebuild from the history can put them right
        bogus = "UPDATE customer_orders SET status = 'BOGUS' WHERE order_id = $1"
        await conn.execute(bogus, ids[0])
        await conn.execute("DELETE FROM customer_orders WHERE order_id = $1", ids[1])
    finally:
        await conn.close()

    done = await asyncio.to_thread(
        subprocess.run,
        [CONVEYOR, "projections", "rebuild", "orders"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "orders rebuilt" in done.stdout
    assert (await _page(client, customer, limit=100))["orders"] == live


async def test_projection_lag_is_a_prometheus_metric(client: SagaClient) -> None:
    response = await client.http.get(client.url("order", "/metrics"))
    assert 'conveyor_projection_lag_seconds{projection="customer_orders"}' in response.text
    assert "conveyor_projection_orders_projected_total" in response.text
