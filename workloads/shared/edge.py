"""ASGI middleware at the HTTP edge: body limits, correlation ids, traces, request metrics, and
the last word on errors no handler answered.

Every request runs under a correlation id (taken from `X-Correlation-ID` when well formed, else a
new one) that every answer carries back as a header and every log line of the request carries,
and in a SERVER span continuing the caller's `traceparent`, whose trace every answer names in a
W3C `traceresponse` header.
The answers this middleware gives itself are problem documents (`problems.py`):

- 400 when `Content-Length` is not a number, 413 when the declared or the received body exceeds
  `max_body_bytes` (checked while the body streams in, so an undeclared body cannot slip past);
- 500 for any exception a handler raised and no exception handler answered: it is logged with its
  traceback *inside* the request's correlation scope, so the log line and the answer share the
  id, and the answer says nothing about the error itself. If the response had already started,
  nothing more can be said to the client: the error is logged and re-raised, and the server
  drops the connection.

Written as plain ASGI (not BaseHTTPMiddleware) because it wraps every request on the hot path.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workloads.shared import metrics
from workloads.shared.draining import DRAIN
from workloads.shared.problems import problem
from workloads.shared.telemetry import handling

log = logging.getLogger(__name__)

_VALID_CORRELATION = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class _BodyTooLargeError(HTTPException):
    """Raised while the body streams in; an HTTPException, so FastAPI's body parsing passes it on
    (any other error there becomes its 400 "error parsing the body") to the problem handlers."""

    def __init__(self) -> None:
        super().__init__(413, "Payload too large")


class _InvalidContentLengthError(Exception):
    pass


class _Exchange:
    """One request as it passes the edge: the body read so far and the answer as it goes out."""

    def __init__(self, receive: Receive, send: Send, *, correlation: str, max_body: int) -> None:
        self._receive, self._send = receive, send
        self.correlation, self.max_body = correlation, max_body
        self.received = 0
        self.status = 500
        self.started = False
        self.exemplar: dict[str, str] | None = None  # the request's trace, for the histogram

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.max_body:
                raise _BodyTooLargeError
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            self.status = message["status"]
            message["headers"] = [
                *message.get("headers", []),
                (b"x-correlation-id", self.correlation.encode()),
                *_trace_response(),
                *([(b"connection", b"close")] if DRAIN.active else []),  # draining.py
            ]
        await self._send(message)

    async def answer(self, scope: Scope, status: int, title: str, detail: str) -> None:
        await problem(status, title, detail)(scope, self.receive, self.send)


def _trace_response() -> list[tuple[bytes, bytes]]:
    """W3C `traceresponse`: the trace this request joined, so a client can look it up."""
    span = trace.get_current_span().get_span_context()
    if not span.is_valid:
        return []
    value = f"00-{trace.format_trace_id(span.trace_id)}-{trace.format_span_id(span.span_id)}"
    return [(b"traceresponse", f"{value}-{span.trace_flags:02x}".encode())]


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    def _check_declared_length(self, headers: dict[str, str]) -> None:
        declared = headers.get("content-length", "0").strip() or "0"
        if not (declared.isascii() and declared.isdigit()):
            raise _InvalidContentLengthError
        if int(declared) > self.max_body_bytes:
            raise _BodyTooLargeError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode(errors="replace") for k, v in scope["headers"]}
        given = headers.get("x-correlation-id", "")
        correlation = given if _VALID_CORRELATION.fullmatch(given) else str(uuid.uuid4())
        exchange = _Exchange(receive, send, correlation=correlation, max_body=self.max_body_bytes)
        began = time.perf_counter()
        try:
            await self._handle(scope, exchange, headers)
        finally:  # an error re-raised after the response started is counted too
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            metrics.http_requests.labels(scope["method"], template, str(exchange.status)).inc()
            elapsed = time.perf_counter() - began
            metrics.http_latency.labels(scope["method"], template).observe(
                elapsed, exemplar=exchange.exemplar
            )

    async def _handle(self, scope: Scope, exchange: _Exchange, headers: dict[str, str]) -> None:
        with handling(
            f"{scope['method']} {scope['path']}",
            correlation=exchange.correlation,
            carrier=headers,
            kind=SpanKind.SERVER,
        ) as span:
            exchange.exemplar = metrics.exemplar(span)
            try:
                self._check_declared_length(headers)
                await self.app(scope, exchange.receive, exchange.send)
            except _InvalidContentLengthError:
                detail = "Content-Length must be a number of bytes."
                await exchange.answer(scope, 400, "Invalid Content-Length", detail)
            except _BodyTooLargeError:
                if exchange.started:
                    raise
                detail = f"The body exceeds {self.max_body_bytes} bytes."
                await exchange.answer(scope, 413, "Payload too large", detail)
            except Exception as exc:
                log.exception("unexpected error in %s %s", scope["method"], scope["path"])
                span.record_exception(exc)
                span.set_status(StatusCode.ERROR)
                if exchange.started:
                    raise
                detail = "Something went wrong; quote the correlation id."
                await exchange.answer(scope, 500, "Internal error", detail)
