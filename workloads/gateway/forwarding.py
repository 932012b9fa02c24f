"""What crosses the gateway, each way: request headers in, answers out, with nothing leaking.

In: only the headers a service needs (content negotiation, `Idempotency-Key`), the request's
correlation id and trace context, and `X-Forwarded-For`: the client's address as the gateway
established it (`client_of`: the peer, or what a proxy in `TRUSTED_PROXIES` vouches for), set by
the gateway alone — whatever the client sent in that header is replaced, never passed on. The
client's `Authorization` never goes upstream: a verified admin's call carries the services'
admin token instead, and the verified subject travels as `X-Conveyor-Subject` (informational;
the gateway has already checked it).
Out: the status, body and a few safe headers of the service's answer, except that any 5xx
becomes the gateway's own problem document (502), so no upstream error text reaches a client;
the upstream's answer is logged with the correlation id instead.
"""

from __future__ import annotations

import logging

from fastapi import Request, Response

from workloads.gateway.upstreams import Answer
from workloads.shared.forwarded import client_address
from workloads.shared.problems import ProblemError
from workloads.shared.telemetry import correlation_id, trace_headers

log = logging.getLogger(__name__)

REQUEST_HEADERS = ("accept", "accept-language", "content-type", "idempotency-key", "if-none-match")
RESPONSE_HEADERS = ("cache-control", "content-type", "etag", "location", "retry-after")


def request_headers(
    request: Request, *, subject: str | None = None, admin_token: str | None = None
) -> dict[str, str]:
    headers = {k: request.headers[k] for k in REQUEST_HEADERS if k in request.headers}
    headers["x-correlation-id"] = correlation_id.get()
    headers.update(trace_headers())
    headers["x-forwarded-for"] = client_of(request)
    if subject is not None:
        headers["x-conveyor-subject"] = subject
    if admin_token:
        headers["authorization"] = f"Bearer {admin_token}"
    return headers


def client_of(request: Request) -> str:
    """The client's address: the peer, unless a trusted proxy in front of us names another."""
    return client_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        trusted=getattr(request.app.state, "trusted_proxies", ()),
    )


def upstream_failed(upstream: str, status: int) -> ProblemError:
    log.warning("upstream %s answered %d; answering 502", upstream, status)
    return ProblemError(502, "Bad gateway", f"{upstream} failed; quote the correlation id.")


def relay(answer: Answer, upstream: str) -> Response:
    """The service's answer as the client gets it (a 5xx replaced by a 502 problem)."""
    if answer.status_code >= 500:  # noqa: PLR2004
        raise upstream_failed(upstream, answer.status_code)
    headers = {k: answer.headers[k] for k in RESPONSE_HEADERS if k in answer.headers}
    return Response(answer.content, status_code=answer.status_code, headers=headers)
