"""Who places the asyncio drivers' orders: customers signed in through the gateway, or --direct.

`make bench` (saga.py) and `make chaos` (chaos/load.py) place orders open-loop from one asyncio
process. `Gateway` is the default, the path a customer's order takes (issue #13, ADR 0050): each
customer is an account of its own. It registers (`register_path`, an e-mail under the run's
customer prefix), logs in once (`login_path`), orders as itself (its user id is the order's
`customer_id`, which the gateway holds it to) with its bearer token, and renews the pair a margin
before it expires, one renewal at a time: the protocol of `scenarios/tokens.py`, which the Locust
users follow too, with `LoadSettings`' paths, password and margin. On a loopback gateway each
customer connects from an address of its own (`scenarios/sources.py`), so identity's per-client
login limit and the gateway's per-client rate limit count people, not the machine; no limit is
raised. `customers_for(rate)` gives each customer at most `ORDERS_PER_CUSTOMER_PER_S` orders a
second, well under the gateway's 600 requests a minute per client. Signing in (two argon2
hashes each) is setup: it happens on entering the context, `SIGN_INS_AT_ONCE` at a time, before a
driver measures anything.

`Direct` is the escape hatch (`--direct`, `DIRECT=1`): the order service at its own URL, customer
ids `customer-<i % 97>`, no token, one connection pool: the path before the gateway, to compare.
Both send with aiohttp: it costs a fraction of httpx's CPU per request, and on a 2-core machine
every cycle the driver burns is taken from the system it measures.

Failure: a sign-up or login that a server error (5xx) or no answer met is tried again, up to
`SIGN_IN_ATTEMPTS` times with a growing pause (identity fails a login closed, 503, while it cannot
count attempts in Redis; an overloaded machine showed it); a sign-up that then finds its account
made (409) goes on to the login. Any other refusal, or the last failure, raises `SignInError` naming
the route and the answer (the run cannot be made as asked). A renewal that fails keeps the old pair
until it expires, so the orders it then refuses (401) show in the answers. An order refused or
unanswered is `Placed(None, answer)`, never raised: the customer was told no, and the driver counts
it.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import itertools
import math
import secrets
import time
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar

import aiohttp
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from loadtests.scenarios.settings import LoadSettings
from loadtests.scenarios.sources import address, binds_on
from loadtests.scenarios.tokens import REFRESH_PATH, Tokens
from operators.local.stack import LocalStack

ACCEPTED = 202
ORDERS_PER_CUSTOMER_PER_S = 4.0  # the gateway admits 600 requests a minute per client
SIGN_INS_AT_ONCE = 2
SIGN_IN_ATTEMPTS = 4
DIRECT_CUSTOMERS = 97
# The asyncio drivers' loopback addresses, 127.210.x.y: apart from the Locust workers' (127.10+).
SOURCE_WORKER = 200
_sources = itertools.count()  # process-wide: a new set of customers never reuses an address


class SignInError(RuntimeError):
    """A customer could not register or log in through the gateway (`transient`: a server
    error or no answer, worth another attempt)."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, SignInError) and exc.transient


@dataclass(frozen=True)
class Placed:
    order_id: str | None  # None: refused or unanswered
    answer: str  # the HTTP status, or the error's type name


def customers_for(rate_per_s: float) -> int:
    """How many customers share `rate_per_s` orders a second through the gateway."""
    return max(2, math.ceil(rate_per_s / ORDERS_PER_CUSTOMER_PER_S))


class Buyers(abc.ABC):
    """Places order `i` as its customer; an async context manager (connections, sign-ins)."""

    path: ClassVar[str]  # "gateway" or "direct", recorded with the figures

    def __init__(self, orders_url: str, *, max_in_flight: int, timeout_s: float) -> None:
        self.orders_url = orders_url
        self._limit = max_in_flight
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    @property
    @abc.abstractmethod
    def customers(self) -> int: ...

    @abc.abstractmethod
    def customer_id(self, i: int) -> str: ...

    @abc.abstractmethod
    async def _client(self, i: int) -> tuple[aiohttp.ClientSession, dict[str, str]]:
        """The connections and headers order `i` is sent with."""

    async def __aenter__(self) -> Buyers:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def _session(self, source: str | None = None) -> aiohttp.ClientSession:
        bound = None if source is None else (source, 0)
        connector = aiohttp.TCPConnector(limit=self._limit, local_addr=bound)
        return aiohttp.ClientSession(connector=connector, timeout=self._timeout)

    async def place(self, i: int, *, items: list[dict[str, Any]], card: str) -> Placed:
        """Order `i`, with an `Idempotency-Key` of its own: its id if accepted (202)."""
        body = {"customer_id": self.customer_id(i), "items": items, "payment": {"card_token": card}}
        try:
            http, headers = await self._client(i)
            headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
            async with http.post(self.orders_url, json=body, headers=headers) as response:
                if response.status != ACCEPTED:
                    return Placed(None, str(response.status))
                return Placed(str((await response.json())["order_id"]), str(ACCEPTED))
        except (aiohttp.ClientError, TimeoutError) as exc:
            return Placed(None, type(exc).__name__)


class Direct(Buyers):
    """The order service at its own URL, as before the gateway (to compare)."""

    path = "direct"

    def __init__(self, order_url: str, *, max_in_flight: int, timeout_s: float) -> None:
        super().__init__(f"{order_url.rstrip('/')}/v1/orders", max_in_flight=max_in_flight,
                         timeout_s=timeout_s)  # fmt: skip
        self._http: aiohttp.ClientSession | None = None

    @property
    def customers(self) -> int:
        return DIRECT_CUSTOMERS

    def customer_id(self, i: int) -> str:
        return f"customer-{i % DIRECT_CUSTOMERS}"

    async def _client(self, i: int) -> tuple[aiohttp.ClientSession, dict[str, str]]:
        if self._http is None:
            raise RuntimeError("use `async with Direct(...)`")
        return self._http, {}

    async def __aenter__(self) -> Direct:
        self._http = self._session()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._http is not None:
            await self._http.close()


class _Customer:
    """One account's connections (from its own address on loopback) and tokens."""

    def __init__(self, http: aiohttp.ClientSession, settings: LoadSettings) -> None:
        self.http, self._settings = http, settings
        self._base = settings.url("order")
        self._lock = asyncio.Lock()
        self.tokens: Tokens | None = None

    async def sign_in(self) -> None:
        email = f"{self._settings.customer_prefix}{uuid.uuid4().hex[:12]}@example.com"
        account = {"email": email, "password": self._settings.password.get_secret_value()}
        await self._attempts(self._settings.register_path, account, expect=(201, 409))
        self.tokens = Tokens.of(
            await self._attempts(self._settings.login_path, account, expect=(200,))
        )

    async def _attempts(
        self, path: str, body: dict[str, str], *, expect: tuple[int, ...]
    ) -> dict[str, Any]:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(SIGN_IN_ATTEMPTS), wait=wait_exponential(multiplier=0.5, max=4),
            retry=retry_if_exception(_transient), reraise=True,
        ):  # fmt: skip
            with attempt:
                return await self._post(path, body, expect=expect)
        raise AssertionError("tenacity either returns or re-raises")

    async def headers(self) -> dict[str, str]:
        """The bearer header, the pair renewed first when due (one renewal at a time)."""
        if self.tokens is None:
            raise SignInError("not signed in")
        margin = self._settings.refresh_margin_s
        if self.tokens.due(time.time(), margin):
            async with self._lock:  # the others wait, then find fresh tokens
                if self.tokens.due(time.time(), margin):
                    # On failure the old pair until it expires: its refusals show as 401s.
                    with contextlib.suppress(SignInError):
                        self.tokens = Tokens.of(
                            await self._post(REFRESH_PATH, self.tokens.renewal(), expect=(200,))
                        )
        return self.tokens.bearer()

    async def _post(
        self, path: str, body: dict[str, str], *, expect: tuple[int, ...]
    ) -> dict[str, Any]:
        try:
            async with self.http.post(f"{self._base}{path}", json=body) as response:
                if response.status not in expect:
                    text = (await response.text())[:200]
                    raise SignInError(f"POST {path} answered {response.status}: {text}",
                                      transient=response.status >= 500)  # noqa: PLR2004  # fmt: skip
                answer: dict[str, Any] = await response.json(content_type=None)
                return answer
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SignInError(
                f"POST {path} got no answer: {type(exc).__name__}", transient=True
            ) from exc


class Gateway(Buyers):
    """`customers` accounts signed in through the gateway, ordering in turn as themselves."""

    path = "gateway"

    def __init__(
        self, settings: LoadSettings, *, customers: int, max_in_flight: int, timeout_s: float
    ) -> None:
        if settings.gateway_url is None:
            raise ValueError("Gateway buyers need settings.gateway_url")
        super().__init__(f"{settings.url('order')}/v1/orders", max_in_flight=max_in_flight,
                         timeout_s=timeout_s)  # fmt: skip
        self._settings, self._count = settings, customers
        self._accounts: list[_Customer] = []

    @property
    def customers(self) -> int:
        return self._count

    def customer_id(self, i: int) -> str:
        tokens = self._accounts[i % self._count].tokens
        if tokens is None:
            raise SignInError("not signed in")
        return tokens.subject

    async def _client(self, i: int) -> tuple[aiohttp.ClientSession, dict[str, str]]:
        customer = self._accounts[i % self._count]
        return customer.http, await customer.headers()

    async def __aenter__(self) -> Gateway:
        bind = binds_on(self.orders_url)
        self._accounts = [
            _Customer(
                self._session(address(SOURCE_WORKER, next(_sources)) if bind else None),
                self._settings,
            )
            for _ in range(self._count)
        ]
        gate = asyncio.Semaphore(SIGN_INS_AT_ONCE)

        async def sign_in(customer: _Customer) -> None:
            async with gate:
                await customer.sign_in()

        try:
            async with asyncio.TaskGroup() as group:
                for customer in self._accounts:
                    group.create_task(sign_in(customer))
        except BaseException as failed:
            await self.__aexit__(None, None, None)
            errors = getattr(failed, "exceptions", None)
            if errors and isinstance(errors[0], SignInError):
                raise errors[0] from failed
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for customer in self._accounts:
            await customer.http.close()


def for_stack(
    stack: LocalStack, *, direct: bool, rate_per_s: float, max_in_flight: int, timeout_s: float,
    label: str,
) -> Buyers:  # fmt: skip
    """The local stack's buyers: through its gateway (accounts named `load-<label>-<hex>-…`),
    or at its order service with `direct`."""
    if direct:
        order = stack.workloads.url("order")
        return Direct(order, max_in_flight=max_in_flight, timeout_s=timeout_s)
    run_id = f"{label}-{secrets.token_hex(3)}"
    settings = LoadSettings(gateway_url=stack.workloads.url("gateway"), run_id=run_id)
    return Gateway(settings, customers=customers_for(rate_per_s), max_in_flight=max_in_flight,
                   timeout_s=timeout_s)  # fmt: skip
