"""The card provider's client: charge and refund over HTTP, each under an idempotency key.

The key is chosen by the caller, once per order and operation (`charge:<order>`,
`refund:<order>`), and recorded with the intent before the first call, so every retry — the
next attempt here, another settlement round, another replica, the process after a crash — sends
the same key, and the provider answers the first outcome instead of moving money again.

Retries are bounded (`attempts`, exponential back-off with jitter) and only for transport errors
and 5xx answers: a 4xx is the provider refusing this exact request, and repeating it changes
nothing. After the last attempt `ProviderUnavailableError` says the outcome is unknown — the
money may or may not have moved — and the intent stays for a later round, never a guess.

The calls go over one aiohttp session (ADR 0055: httpx cost several times its CPU per call),
opened on the first call inside the running loop and closed by `close()`. Each attempt has its
own deadline (`timeout_s`, connecting through reading the body); a redirect is an answer, never
followed, so a key is only ever sent to the provider's own address.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt
from tenacity import wait_exponential_jitter as backoff

SERVER_ERROR = 500
CREATED_OR_OK = frozenset({200, 201})


def charge_key(order_id: str) -> str:
    return f"charge:{order_id}"


def refund_key(order_id: str) -> str:
    return f"refund:{order_id}"


class ProviderUnavailableError(Exception):
    """No answer after every attempt (transport error, timeout or 5xx): outcome unknown."""


class ProviderRejectedError(Exception):
    """The provider refused the request (4xx): nothing was done for it."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(f"{status_code}: {detail}")
        self.status_code = status_code


class _RetryableError(Exception):
    pass


@dataclass(frozen=True)
class ChargeResult:
    charge_id: str
    succeeded: bool
    decline_reason: str | None
    replayed: bool


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    amount_cents: int
    replayed: bool


class PaymentProvider:
    def __init__(
        self,
        *,
        base_url: str,
        timeout_s: float,
        attempts: int,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._attempts = attempts
        self._sleep = sleep
        self._http: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        # Opened here, not in __init__: a session belongs to the loop it was created in.
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=self._timeout)
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def charge(
        self, *, key: str, order_id: str, amount_cents: int, card_token: str
    ) -> ChargeResult:
        body = {"order_id": order_id, "amount_cents": amount_cents, "card_token": card_token}
        answer, replayed = await self._post("/v1/charges", key, body)
        return ChargeResult(
            charge_id=str(answer["id"]),
            succeeded=answer["status"] == "succeeded",
            decline_reason=answer.get("decline_reason"),
            replayed=replayed,
        )

    async def refund(self, *, key: str, charge_id: str, amount_cents: int) -> RefundResult:
        body = {"charge_id": charge_id, "amount_cents": amount_cents}
        answer, replayed = await self._post("/v1/refunds", key, body)
        return RefundResult(str(answer["id"]), int(answer["amount_cents"]), replayed)

    async def _post(self, path: str, key: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self._attempts),
                wait=backoff(multiplier=0.1, max=1.0, jitter=0.1),
                retry=retry_if_exception_type(_RetryableError),
                sleep=self._sleep,
                reraise=True,
            ):
                with attempt:
                    return await self._post_once(path, key, body)
        except _RetryableError as exc:
            raise ProviderUnavailableError(f"{path}: {exc}") from exc
        raise AssertionError("unreachable: tenacity re-raises the last failure")  # pragma: no cover

    async def _post_once(
        self, path: str, key: str, body: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]:
        try:
            async with self._session().post(
                f"{self._base_url}{path}",
                json=body,
                headers={"Idempotency-Key": key},
                allow_redirects=False,
            ) as response:
                status, content = response.status, await response.read()
                replayed = response.headers.get("Idempotent-Replayed") == "true"
        # ClientError: refused, reset, disconnected, a broken body; TimeoutError (which is
        # asyncio.TimeoutError): the attempt's deadline. Either way the outcome is unknown.
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _RetryableError(repr(exc)) from exc
        if status >= SERVER_ERROR:
            raise _RetryableError(f"HTTP {status}")
        if status not in CREATED_OR_OK:
            raise ProviderRejectedError(status, _detail(content))
        answer: dict[str, Any] = json.loads(content)
        return answer, replayed


def _detail(content: bytes) -> str:
    text = content.decode("utf-8", errors="replace")
    try:
        return str(json.loads(content).get("detail", text))
    except (ValueError, AttributeError):  # not JSON, or JSON without fields
        return text[:200]
