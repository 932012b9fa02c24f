"""ASGI middleware at the HTTP edge: body limits, correlation ids, traces and request metrics.

Written as plain ASGI (not BaseHTTPMiddleware) because it wraps every request on the hot path.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workloads.shared import metrics
from workloads.shared.problems import PROBLEM_JSON
from workloads.shared.telemetry import handling

_VALID_CORRELATION = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class _BodyTooLargeError(Exception):
    pass


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    def _check_declared_length(self, headers: dict[str, str]) -> None:
        if int(headers.get("content-length", "0") or 0) > self.max_body_bytes:
            raise _BodyTooLargeError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode(errors="replace") for k, v in scope["headers"]}
        given = headers.get("x-correlation-id", "")
        correlation = given if _VALID_CORRELATION.fullmatch(given) else str(uuid.uuid4())
        began = time.perf_counter()
        status = 500
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-correlation-id", correlation.encode()),
                ]
            await send(message)

        received = 0

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLargeError
            return message

        with handling(
            f"{scope['method']} {scope['path']}",
            correlation=correlation,
            carrier=headers,
            kind=SpanKind.SERVER,
        ):
            try:
                self._check_declared_length(headers)
                await self.app(scope, receive_wrapper, send_wrapper)
            except _BodyTooLargeError:
                if started:
                    raise
                status = 413
                await _send_problem(
                    send,
                    413,
                    "Payload too large",
                    correlation,
                    f"The body exceeds {self.max_body_bytes} bytes.",
                )
            except ValueError:
                status = 400
                await _send_problem(
                    send, 400, "Bad request", correlation, "Invalid Content-Length."
                )
        route = scope.get("route")
        template = getattr(route, "path", "unmatched")
        metrics.http_requests.labels(scope["method"], template, str(status)).inc()
        metrics.http_latency.labels(scope["method"], template).observe(time.perf_counter() - began)


async def _send_problem(send: Send, status: int, title: str, correlation: str, detail: str) -> None:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "correlation_id": correlation,
    }
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(payload)).encode()),
                (b"x-correlation-id", correlation.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
