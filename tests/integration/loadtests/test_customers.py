"""The asyncio drivers' customers (loadtests/customers.py) against a stand-in gateway on loopback.

A real aiohttp server on 127.0.0.1 plays the gateway's three routes a customer uses (register,
log in, refresh) and the order route, and records each request with the peer it came from. So
what the drivers promise is seen on the wire: every customer signs up and logs in once from a
loopback address of its own and orders as itself (the body's `customer_id` is its token's
subject, the bearer is its own, from its own address), a pair due for renewal is renewed once
however many orders wait on it, a refused sign-in stops the run with the answer, and `--direct`
sends no token. The real gateway and saga are `tests/e2e/loadtests/test_saga_through_gateway.py`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from aiohttp import web

from loadtests.customers import Direct, Gateway, SignInError
from loadtests.scenarios.settings import LoadSettings

KEY = "stand-in-gateway-signing-key-32b"


@dataclass
class Seen:
    method: str
    path: str
    peer: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class StandIn:
    """The recorded requests; `login_ttl_s` how long a login's access token lives."""

    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    login_ttl_s: float = 300.0
    login_status: int = 200
    login_failures: int = 0  # the first n logins answer 503 (identity failing closed)
    lost_registrations: int = 0  # the first n sign-ups are made but answered 502
    users: dict[str, str] = field(default_factory=dict)  # email -> user id

    def of(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]


def _pair(subject: str, ttl_s: float) -> dict[str, str]:
    access = jwt.encode({"sub": subject, "exp": int(time.time() + ttl_s)}, KEY, algorithm="HS256")
    return {"access_token": access, "refresh_token": uuid.uuid4().hex}


def _app(state: StandIn) -> web.Application:
    async def record(request: web.Request) -> dict[str, Any]:
        body: dict[str, Any] = await request.json()
        peer = request.transport.get_extra_info("peername")[0] if request.transport else ""
        state.seen.append(Seen(request.method, request.path, peer, body, dict(request.headers)))
        return body

    async def register(request: web.Request) -> web.Response:
        body = await record(request)
        if body["email"] in state.users:
            return web.json_response({"title": "Already registered"}, status=409,
                                     content_type="application/problem+json")  # fmt: skip
        state.users[body["email"]] = str(uuid.uuid4())
        if state.lost_registrations:
            state.lost_registrations -= 1
            return web.json_response({"title": "Bad gateway"}, status=502)
        return web.json_response({"user_id": state.users[body["email"]]}, status=201)

    async def login(request: web.Request) -> web.Response:
        body = await record(request)
        if state.login_failures:
            state.login_failures -= 1
            return web.json_response({"title": "Login unavailable"}, status=503)
        if state.login_status != 200:
            return web.json_response({"title": "Too many"}, status=state.login_status)
        return web.json_response(_pair(state.users[body["email"]], state.login_ttl_s))

    async def refresh(request: web.Request) -> web.Response:
        await record(request)
        await asyncio.sleep(0.05)  # long enough for the other orders to queue on the renewal
        subject = next(iter(state.users.values()))
        return web.json_response(_pair(subject, 3600))

    async def order(request: web.Request) -> web.Response:
        await record(request)
        return web.json_response({"order_id": str(uuid.uuid4())}, status=202)

    app = web.Application()
    app.add_routes([
        web.post("/v1/users", register), web.post("/v1/auth/login", login),
        web.post("/v1/auth/refresh", refresh), web.post("/v1/orders", order),
    ])  # fmt: skip
    return app


@pytest.fixture
async def stand_in() -> AsyncIterator[StandIn]:
    state = StandIn()
    runner = web.AppRunner(_app(state))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        await runner.cleanup()


def _gateway(stand_in: StandIn, customers: int) -> Gateway:
    settings = LoadSettings(gateway_url=stand_in.url, run_id="test-customers")
    return Gateway(settings, customers=customers, max_in_flight=16, timeout_s=10)


def _subject(seen: Seen) -> str:
    token = seen.headers["Authorization"].removeprefix("Bearer ")
    return str(jwt.decode(token, KEY, algorithms=["HS256"])["sub"])


async def test_each_customer_signs_in_from_its_own_address_and_orders_as_itself(
    stand_in: StandIn,
) -> None:
    async with _gateway(stand_in, customers=3) as buyers:
        placed = [await buyers.place(i, items=[], card="tok_visa") for i in range(6)]
    assert all(p.order_id and p.answer == "202" for p in placed), placed
    logins = stand_in.of("/v1/auth/login")
    assert len(stand_in.of("/v1/users")) == len(logins) == 3
    assert all(s.body["email"].startswith("load-test-customers-") for s in logins)
    login_peer = {stand_in.users[s.body["email"]]: s.peer for s in logins}
    assert len(set(login_peer.values())) == 3, login_peer
    assert all(peer.startswith("127.210.") for peer in login_peer.values()), login_peer
    orders = stand_in.of("/v1/orders")
    assert len(orders) == 6
    for seen in orders:
        assert seen.body["customer_id"] == _subject(seen)
        assert seen.peer == login_peer[seen.body["customer_id"]]
    assert len({s.headers["Idempotency-Key"] for s in orders}) == 6


async def test_a_pair_due_for_renewal_is_renewed_once_however_many_orders_wait(
    stand_in: StandIn,
) -> None:
    stand_in.login_ttl_s = 30  # inside the 60 s margin: due at once
    async with _gateway(stand_in, customers=1) as buyers:
        placed = await asyncio.gather(
            *(buyers.place(i, items=[], card="tok_visa") for i in range(10))
        )
    assert all(p.order_id for p in placed), placed
    assert len(stand_in.of("/v1/auth/refresh")) == 1
    login = stand_in.of("/v1/auth/login")[0]
    renewed = stand_in.of("/v1/auth/refresh")[0]
    assert renewed.body == {"refresh_token": renewed.body["refresh_token"]}
    old = login.headers.get("Authorization")
    assert all(s.headers["Authorization"] != old for s in stand_in.of("/v1/orders"))


async def test_a_refused_sign_in_stops_the_run_naming_the_answer(stand_in: StandIn) -> None:
    stand_in.login_status = 429
    with pytest.raises(SignInError, match="/v1/auth/login answered 429"):
        async with _gateway(stand_in, customers=2):
            pass


async def test_a_sign_in_met_by_a_server_error_is_tried_again(stand_in: StandIn) -> None:
    stand_in.lost_registrations, stand_in.login_failures = 1, 2
    async with _gateway(stand_in, customers=1) as buyers:
        placed = await buyers.place(0, items=[], card="tok_visa")
    assert placed.order_id
    assert len(stand_in.of("/v1/users")) == 2  # made, answered 502; again: 409, go on
    assert len(stand_in.of("/v1/auth/login")) == 3


async def test_direct_orders_carry_no_token_and_the_old_customer_ids(stand_in: StandIn) -> None:
    async with Direct(stand_in.url, max_in_flight=4, timeout_s=10) as buyers:
        placed = await buyers.place(98, items=[], card="tok_visa")
    assert placed.order_id
    assert buyers.path == "direct"
    (seen,) = stand_in.of("/v1/orders")
    assert seen.body["customer_id"] == "customer-1"
    assert "Authorization" not in seen.headers
    assert not stand_in.of("/v1/auth/login")
