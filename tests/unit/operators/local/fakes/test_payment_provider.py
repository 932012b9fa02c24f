"""The fake card provider keeps a real provider's idempotency rules and shows every charge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.support.fake_provider import client_of, fake_provider

CHARGE = {"order_id": "o-1", "amount_cents": 2500, "card_token": "tok_visa"}


async def _charge(http: httpx.AsyncClient, key: str, body: dict[str, Any]) -> httpx.Response:
    return await http.post("/v1/charges", json=body, headers={"Idempotency-Key": key})


async def _ledger(http: httpx.AsyncClient, order_id: str) -> dict[str, int]:
    orders: dict[str, dict[str, int]] = (await http.get("/v1/ledger")).json()["orders"]
    return orders.get(order_id, {})


async def test_the_same_key_and_body_replays_the_first_charge(tmp_path: Path) -> None:
    async with client_of(fake_provider(tmp_path)) as http:
        first = await _charge(http, "charge:o-1", CHARGE)
        again = await _charge(http, "charge:o-1", CHARGE)
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert (await _ledger(http, "o-1"))["charges"] == 1


async def test_the_same_key_with_another_body_is_a_409_and_moves_no_money(tmp_path: Path) -> None:
    async with client_of(fake_provider(tmp_path)) as http:
        await _charge(http, "charge:o-1", CHARGE)
        other = await _charge(http, "charge:o-1", {**CHARGE, "amount_cents": 9999})
        assert other.status_code == 409
        assert other.headers["content-type"] == "application/problem+json"
        assert (await _ledger(http, "o-1"))["charged_cents"] == 2500


async def test_two_keys_for_one_order_are_two_charges_the_ledger_shows(tmp_path: Path) -> None:
    async with client_of(fake_provider(tmp_path)) as http:
        await _charge(http, "attempt-1", CHARGE)
        await _charge(http, "attempt-2", CHARGE)
        assert (await _ledger(http, "o-1"))["charges"] == 2  # nothing hides a double call
        listed = (await http.get("/v1/charges", params={"order_id": "o-1"})).json()["data"]
        assert len(listed) == 2


async def test_a_charge_without_an_idempotency_key_is_refused(tmp_path: Path) -> None:
    async with client_of(fake_provider(tmp_path)) as http:
        response = await http.post("/v1/charges", json=CHARGE)
        assert response.status_code == 400
        assert await _ledger(http, "o-1") == {}


async def test_the_decline_token_is_declined_and_charges_nothing(tmp_path: Path) -> None:
    async with client_of(fake_provider(tmp_path)) as http:
        response = await _charge(http, "k", {**CHARGE, "card_token": "tok_decline"})
        assert response.json()["status"] == "declined"
        assert await _ledger(http, "o-1") == {
            "charges": 0,
            "charged_cents": 0,
            "declines": 1,
            "refunds": 0,
            "refunded_cents": 0,
        }


async def test_a_refund_is_idempotent_and_never_exceeds_the_charge(tmp_path: Path) -> None:
    async with client_of(fake_provider(tmp_path)) as http:
        charge_id = (await _charge(http, "charge:o-1", CHARGE)).json()["id"]
        body = {"charge_id": charge_id, "amount_cents": 2500}
        headers = {"Idempotency-Key": "refund:o-1"}
        first = await http.post("/v1/refunds", json=body, headers=headers)
        again = await http.post("/v1/refunds", json=body, headers=headers)
        assert (first.status_code, again.json()) == (201, first.json())
        more = await http.post("/v1/refunds", json=body, headers={"Idempotency-Key": "another"})
        assert more.status_code == 409
        unknown = {"charge_id": "ch_nope", "amount_cents": 1}
        missing = await http.post("/v1/refunds", json=unknown, headers={"Idempotency-Key": "x"})
        assert missing.status_code == 404
        ledger = await _ledger(http, "o-1")
        assert (ledger["refunds"], ledger["refunded_cents"]) == (1, 2500)


async def test_an_injected_failure_is_a_503_before_any_effect(tmp_path: Path) -> None:
    async with client_of(fake_provider(tmp_path, failure_rate=0.5, draws=[0.1])) as http:
        failed = await _charge(http, "charge:o-1", CHARGE)
        assert failed.status_code == 503
        assert await _ledger(http, "o-1") == {}
        retried = await _charge(http, "charge:o-1", CHARGE)  # the next draw is 1.0: no failure
        assert retried.status_code == 201
        assert "Idempotent-Replayed" not in retried.headers


async def test_the_behaviour_endpoint_shows_what_the_flags_give_now(tmp_path: Path) -> None:
    async with client_of(fake_provider(tmp_path, failure_rate=1.0)) as http:
        assert (await http.get("/v1/behaviour")).json() == {"latency_ms": 0, "failure_rate": 1.0}
        assert (await _charge(http, "k", CHARGE)).status_code == 503


async def test_a_validation_error_names_the_field_and_never_echoes_the_card(
    tmp_path: Path,
) -> None:
    async with client_of(fake_provider(tmp_path)) as http:
        response = await _charge(http, "k", {**CHARGE, "amount_cents": -1, "card_token": "tok_x1"})
        assert response.status_code == 422
        assert "amount_cents" in response.json()["detail"]
        assert "tok_x1" not in response.text
