"""The fake provider's HTTP API (see the package docstring for the rules it keeps).

`create_app` takes its ledger, its flags (with their random source) and its sleep as keyword-only
seams, so unit tests run it in-process over an ASGI transport with an in-memory ledger, scripted
failures and no waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from operators.local.fakes.payment_provider.ledger import (
    Answer,
    KeyReusedError,
    Ledger,
    RefusedError,
)
from operators.local.fakes.payment_provider.settings import Behaviour, ProviderSettings
from workloads.shared.flags.client import Flags
from workloads.shared.flags.names import PAYMENT_PROVIDER_FAILURE_RATE, PAYMENT_PROVIDER_LATENCY_MS

log = logging.getLogger("payment-provider")
PROBLEM_JSON = "application/problem+json"


class ChargeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(min_length=1, max_length=200)
    amount_cents: int = Field(gt=0)
    card_token: str = Field(min_length=1, max_length=200)


class RefundRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    charge_id: str = Field(min_length=1, max_length=200)
    amount_cents: int = Field(gt=0)


class ProviderProblemError(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        status_code=status,
        media_type=PROBLEM_JSON,
    )


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)]


def create_app(
    settings: ProviderSettings,
    *,
    ledger: Ledger | None = None,
    flags: Flags | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> FastAPI:
    app = FastAPI(title="fake payment provider", docs_url=None, redoc_url=None)
    book = ledger or Ledger(settings.ledger)
    faults = flags or Flags.from_file(settings.flags_file, domain="payment-provider")

    def behaviour() -> Behaviour:
        return Behaviour(
            latency_ms=int(faults.number(PAYMENT_PROVIDER_LATENCY_MS)),
            failure_rate=faults.number(PAYMENT_PROVIDER_FAILURE_RATE),
        )

    @app.exception_handler(ProviderProblemError)
    async def provider_problem(_: Request, exc: ProviderProblemError) -> JSONResponse:
        return _problem(exc.status, exc.title, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Name the fields, never echo their values: a body may hold a card token.
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        return _problem(422, "Invalid request", f"invalid or missing: {fields}")

    async def misbehave() -> None:
        if faults.happens(PAYMENT_PROVIDER_FAILURE_RATE):
            raise ProviderProblemError(503, "Provider unavailable", "injected failure")
        latency_ms = faults.number(PAYMENT_PROVIDER_LATENCY_MS)
        if latency_ms:
            await sleep(latency_ms / 1000)

    def once(key: str | None, operation: str, body: dict[str, Any], effect: Any) -> Answer:
        if not key:
            raise ProviderProblemError(400, "Idempotency-Key required", "send an Idempotency-Key")
        try:
            return book.once(key, operation, body, effect)
        except KeyReusedError as exc:
            raise ProviderProblemError(
                409, "Idempotency key reused", f"key {key} was used for another request"
            ) from exc
        except RefusedError as exc:
            raise ProviderProblemError(exc.status_code, "Refused", exc.detail) from exc

    def answer(result: Answer) -> JSONResponse:
        headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
        return JSONResponse(result.body, status_code=result.status_code, headers=headers)

    @app.post("/v1/charges", status_code=201)
    async def charge(request: ChargeRequest, key: IdempotencyKey = None) -> JSONResponse:
        await misbehave()
        declined = "card declined" if request.card_token == settings.decline_token else None
        effect = Ledger.make_charge(request.order_id, request.amount_cents, declined)
        result = once(key, "charge", request.model_dump(), effect)
        log.info("charge %s for order %s: %s", result.body["id"], request.order_id,
                 "replayed" if result.replayed else result.body["status"])  # fmt: skip
        return answer(result)

    @app.post("/v1/refunds", status_code=201)
    async def refund(request: RefundRequest, key: IdempotencyKey = None) -> JSONResponse:
        await misbehave()
        effect = Ledger.make_refund(request.charge_id, request.amount_cents)
        result = once(key, "refund", request.model_dump(), effect)
        log.info("refund %s of %s%s", result.body["id"], request.charge_id,
                 " (replayed)" if result.replayed else "")  # fmt: skip
        return answer(result)

    @app.get("/v1/charges")
    async def charges(order_id: str) -> dict[str, list[dict[str, Any]]]:
        return {"data": book.charges_of(order_id)}

    @app.get("/v1/ledger")
    async def ledger_by_order(
        order_id: Annotated[list[str] | None, Query()] = None,
    ) -> dict[str, Any]:
        """Per order: charges (succeeded), declines, refunds, with cents; the totals; and when
        the ledger's history begins (`since`, the oldest charge), for audits of a time window."""
        orders = book.by_order(order_id)
        totals = {
            field: sum(o[field] for o in orders.values())
            for field in ("charges", "charged_cents", "declines", "refunds", "refunded_cents")
        }
        return {"orders": orders, "totals": totals, "since": book.first_charge_at()}

    @app.get("/v1/behaviour")
    async def get_behaviour() -> Behaviour:
        """The latency and failure rate the flags give now (tests wait on a change here)."""
        return behaviour()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
