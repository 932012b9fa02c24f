"""The payment service's provider client: one key for every attempt, retries only when unsure."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.fake_provider import fake_provider
from workloads.payment.provider import (
    PaymentProvider,
    ProviderRejectedError,
    ProviderUnavailableError,
    charge_key,
)


async def _no_wait(_: float) -> None:
    return None


def _client(transport: httpx.AsyncBaseTransport, attempts: int = 3) -> PaymentProvider:
    return PaymentProvider(
        base_url="http://provider",
        timeout_s=1,
        attempts=attempts,
        transport=transport,
        sleep=_no_wait,
    )


async def _charges(app_transport: httpx.AsyncBaseTransport, order_id: str) -> int:
    async with httpx.AsyncClient(transport=app_transport, base_url="http://provider") as http:
        orders = (await http.get("/v1/ledger")).json()["orders"]
    return int(orders.get(order_id, {}).get("charges", 0))


async def test_a_5xx_is_retried_with_the_same_key_and_charges_once(tmp_path: Path) -> None:
    app = fake_provider(tmp_path, failure_rate=0.5, draws=[0.1, 0.1])  # two 503s, then an answer
    transport = httpx.ASGITransport(app=app)
    provider = _client(transport)
    result = await provider.charge(
        key=charge_key("o-1"), order_id="o-1", amount_cents=1000, card_token="tok_visa"
    )
    assert result.succeeded
    assert await _charges(transport, "o-1") == 1


async def test_a_lost_answer_retried_with_the_same_key_is_the_same_charge(tmp_path: Path) -> None:
    """The provider charged, the answer never came (a timeout): the retry must not charge again."""
    app = fake_provider(tmp_path)
    inner = httpx.ASGITransport(app=app)
    keys: list[str] = []

    class LoseFirstAnswer(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            keys.append(request.headers["Idempotency-Key"])
            response = await inner.handle_async_request(request)
            if len(keys) == 1:
                raise httpx.ReadTimeout("the answer was lost", request=request)
            return response

    provider = _client(LoseFirstAnswer())
    result = await provider.charge(
        key=charge_key("o-1"), order_id="o-1", amount_cents=1000, card_token="tok_visa"
    )
    assert result.replayed
    assert keys == ["charge:o-1", "charge:o-1"]
    assert await _charges(inner, "o-1") == 1


async def test_no_answer_after_every_attempt_is_unavailable_not_a_decline(tmp_path: Path) -> None:
    app = fake_provider(tmp_path, failure_rate=0.5, draws=[0.1, 0.1, 0.1])
    provider = _client(httpx.ASGITransport(app=app))
    with pytest.raises(ProviderUnavailableError):
        await provider.charge(key="k", order_id="o-1", amount_cents=1000, card_token="tok_visa")


async def test_a_4xx_is_not_retried(tmp_path: Path) -> None:
    calls = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(409, json={"detail": "key reused"}, request=request)

    provider = _client(httpx.MockTransport(refuse))
    with pytest.raises(ProviderRejectedError, match="key reused"):
        await provider.charge(key="k", order_id="o-1", amount_cents=1000, card_token="tok_visa")
    assert calls == 1


async def test_a_declined_card_is_an_answer(tmp_path: Path) -> None:
    provider = _client(httpx.ASGITransport(app=fake_provider(tmp_path)))
    result = await provider.charge(
        key="k", order_id="o-1", amount_cents=1000, card_token="tok_decline"
    )
    assert (result.succeeded, result.decline_reason) == (False, "card declined")
