"""The payment service's provider client against the fake provider served on loopback.

The fake (operators/local/fakes/payment_provider) runs under uvicorn on a loopback socket in the
test's loop, with an in-memory ledger and scripted failure draws (tests/support/fake_provider.py),
so "two 503s, then an answer" is a fact of the test, not a random number. Between the client and
the fake, a thin ASGI layer counts the calls and can hold an answer until the client gives up or
answer a redirect; the client itself is the real one, over real sockets. Guards: a 5xx and a lost
answer are retried under the same key and charge once; a 4xx and a redirect are answers, never
retried nor followed; a refused connection after every attempt is unavailable, not a decline.
"""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.support.fake_provider import fake_provider
from workloads.payment.provider import (
    PaymentProvider,
    ProviderRejectedError,
    ProviderUnavailableError,
    charge_key,
)

LOST_ANSWER_TIMEOUT_S = 0.5  # the client's deadline per attempt when an answer is held back


async def _no_wait(_: float) -> None:
    return None


@dataclass
class Between:
    """ASGI layer in front of the fake: counts POSTs, and can spoil the first one's answer."""

    app: ASGIApp
    spoil_first: Callable[[Scope, Receive, Send, ASGIApp], Awaitable[None]] | None = None
    keys: list[str] = field(default_factory=list)
    posts: Counter[str] = field(default_factory=Counter)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            self.posts[scope["path"]] += 1
            self.keys.append(dict(scope["headers"]).get(b"idempotency-key", b"").decode())
            if self.spoil_first is not None and len(self.keys) == 1:
                await self.spoil_first(scope, receive, send, self.app)
                return
        await self.app(scope, receive, send)


async def _lose_the_answer(scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
    """The provider does the work, then its answer never leaves: the client's deadline passes."""

    async def swallow(_: Message) -> None:
        return None

    await app(scope, receive, swallow)
    while (await receive())["type"] != "http.disconnect":  # held until the client hangs up
        pass


async def _redirect(scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
    """Answers 307 to the same path: a client following it would charge on the second hop."""
    location = scope["path"].encode()
    await send({"type": "http.response.start", "status": 307, "headers": [(b"location", location)]})
    await send({"type": "http.response.body", "body": b""})


@dataclass
class Served:
    url: str
    between: Between

    async def charges(self, order_id: str) -> int:
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as http:
            orders = (await http.get("/v1/ledger")).json()["orders"]
        return int(orders.get(order_id, {}).get("charges", 0))


@asynccontextmanager
async def served(between: Between) -> AsyncIterator[Served]:
    """`between` under uvicorn on a loopback port, in this loop, until the block ends."""
    listener = socket.create_server(("127.0.0.1", 0))  # connections queue before uvicorn runs
    config = uvicorn.Config(
        between, lifespan="off", log_config=None, access_log=False, timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        yield Served(f"http://127.0.0.1:{listener.getsockname()[1]}", between)
    finally:
        server.should_exit = True
        await task
        listener.close()


def _client(url: str, *, attempts: int = 3, timeout_s: float = 5.0) -> PaymentProvider:
    return PaymentProvider(base_url=url, timeout_s=timeout_s, attempts=attempts, sleep=_no_wait)


async def test_a_5xx_is_retried_with_the_same_key_and_charges_once(tmp_path: Path) -> None:
    app = fake_provider(tmp_path, failure_rate=0.5, draws=[0.1, 0.1])  # two 503s, then an answer
    async with served(Between(app)) as fake:
        provider = _client(fake.url)
        try:
            result = await provider.charge(
                key=charge_key("o-1"), order_id="o-1", amount_cents=1000, card_token="tok_visa"
            )
        finally:
            await provider.close()
        assert result.succeeded
        assert fake.between.keys == ["charge:o-1"] * 3
        assert await fake.charges("o-1") == 1


async def test_a_lost_answer_retried_with_the_same_key_is_the_same_charge(tmp_path: Path) -> None:
    """The provider charged, the answer never came (the deadline passed): no second charge."""
    async with served(Between(fake_provider(tmp_path), spoil_first=_lose_the_answer)) as fake:
        provider = _client(fake.url, timeout_s=LOST_ANSWER_TIMEOUT_S)
        try:
            result = await provider.charge(
                key=charge_key("o-1"), order_id="o-1", amount_cents=1000, card_token="tok_visa"
            )
        finally:
            await provider.close()
        assert result.replayed
        assert fake.between.keys == ["charge:o-1", "charge:o-1"]
        assert await fake.charges("o-1") == 1


async def test_no_answer_after_every_attempt_is_unavailable_not_a_decline(tmp_path: Path) -> None:
    app = fake_provider(tmp_path, failure_rate=0.5, draws=[0.1, 0.1, 0.1])
    async with served(Between(app)) as fake:
        provider = _client(fake.url)
        try:
            with pytest.raises(ProviderUnavailableError, match="HTTP 503"):
                await provider.charge(
                    key="k", order_id="o-1", amount_cents=1000, card_token="tok_visa"
                )
        finally:
            await provider.close()
        assert fake.between.posts["/v1/charges"] == 3


async def test_a_4xx_is_not_retried(tmp_path: Path) -> None:
    async with served(Between(fake_provider(tmp_path))) as fake:
        provider = _client(fake.url)
        try:
            await provider.charge(key="k", order_id="o-1", amount_cents=1000, card_token="tok_visa")
            with pytest.raises(ProviderRejectedError, match="was used for another request") as e:
                await provider.charge(
                    key="k", order_id="o-2", amount_cents=1000, card_token="tok_visa"
                )
        finally:
            await provider.close()
        assert e.value.status_code == 409
        assert fake.between.posts["/v1/charges"] == 2  # one call per charge


async def test_a_redirect_is_an_answer_never_followed(tmp_path: Path) -> None:
    async with served(Between(fake_provider(tmp_path), spoil_first=_redirect)) as fake:
        provider = _client(fake.url)
        try:
            with pytest.raises(ProviderRejectedError) as refused:
                await provider.charge(
                    key="k", order_id="o-1", amount_cents=1000, card_token="tok_visa"
                )
        finally:
            await provider.close()
        assert refused.value.status_code == 307
        assert fake.between.posts["/v1/charges"] == 1
        assert await fake.charges("o-1") == 0


async def test_a_refused_connection_is_retried_then_unavailable() -> None:
    with socket.socket() as bound:  # bound, never listening: a connection to it is refused
        bound.bind(("127.0.0.1", 0))
        provider = _client(f"http://127.0.0.1:{bound.getsockname()[1]}", attempts=2)
        try:
            with pytest.raises(ProviderUnavailableError, match="ConnectionRefusedError"):
                await provider.charge(
                    key="k", order_id="o-1", amount_cents=1000, card_token="tok_visa"
                )
        finally:
            await provider.close()


async def test_a_declined_card_is_an_answer(tmp_path: Path) -> None:
    async with served(Between(fake_provider(tmp_path))) as fake:
        provider = _client(fake.url)
        try:
            result = await provider.charge(
                key="k", order_id="o-1", amount_cents=1000, card_token="tok_decline"
            )
        finally:
            await provider.close()
        assert (result.succeeded, result.decline_reason) == (False, "card declined")
