"""The HTTP edge answers every failure with a problem naming it, and logs what it did not expect.

A tiny app stands in for a service: the edge middleware and the problem handlers, installed the
way `runtime.create_app` installs them, over routes that fail on purpose. It is called in-process
through httpx's ASGI transport (no socket), or with a hand-built ASGI request where httpx would
not send the malformed bytes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from pydantic import BaseModel
from starlette.types import Message

from workloads.shared.edge import EdgeMiddleware
from workloads.shared.problems import PROBLEM_JSON
from workloads.shared.problems import install as install_problems
from workloads.shared.telemetry import correlation_id

MAX_BODY = 1024
SECRET = "password=hunter2 in an internal error"


class _Named(BaseModel):
    name: str


def _app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(EdgeMiddleware, max_body_bytes=MAX_BODY)
    install_problems(app)

    @app.get("/value-error")
    async def value_error() -> None:
        raise ValueError(SECRET)

    @app.get("/runtime-error")
    async def runtime_error() -> None:
        raise RuntimeError(SECRET)

    @app.post("/named")
    async def named(body: _Named) -> _Named:
        return body

    return app


class _Recorder(logging.Handler):
    """Every log record, with the correlation id in force when it was emitted."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[tuple[logging.LogRecord, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record, correlation_id.get()))


@pytest.fixture
def recorder() -> Iterator[_Recorder]:
    recorder = _Recorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    try:
        yield recorder
    finally:
        root.removeHandler(recorder)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://edge.test") as client:
        yield client


def _problem(response: httpx.Response, status: int, title: str) -> dict[str, object]:
    assert (response.status_code, response.headers["content-type"]) == (status, PROBLEM_JSON), (
        response.text
    )
    problem: dict[str, object] = response.json()
    assert (problem["status"], problem["title"]) == (status, title), problem
    assert problem["correlation_id"] == response.headers["x-correlation-id"]
    return problem


@pytest.mark.parametrize("route", ["/value-error", "/runtime-error"])
async def test_an_unexpected_error_is_a_logged_500_that_keeps_the_error_to_itself(
    http: httpx.AsyncClient, recorder: _Recorder, route: str
) -> None:
    response = await http.get(route, headers={"X-Correlation-ID": "unit-edge-1"})
    _problem(response, 500, "Internal error")
    assert response.headers["x-correlation-id"] == "unit-edge-1"
    assert SECRET not in response.text
    logged = [
        (record, correlation)
        for record, correlation in recorder.records
        if record.levelno >= logging.ERROR and record.exc_info
    ]
    assert len(logged) == 1, [r.getMessage() for r, _ in recorder.records]
    record, correlation = logged[0]
    assert record.exc_info is not None
    assert SECRET in str(record.exc_info[1]), "the log keeps the error the answer leaves out"
    assert correlation == "unit-edge-1", "the log line must carry the request's correlation id"


async def test_a_body_streamed_past_the_limit_without_a_length_is_413(
    http: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(4):
            yield b"a" * 512
        yield b'"}'

    response = await http.post(
        "/named", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    _problem(response, 413, "Payload too large")


async def test_a_declared_length_past_the_limit_is_413_before_the_body_is_read(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post("/named", json={"name": "a" * (MAX_BODY + 1)})
    problem = _problem(response, 413, "Payload too large")
    assert str(MAX_BODY) in str(problem["detail"])


async def test_a_content_length_that_is_not_a_number_is_a_400_naming_it() -> None:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/named",
        "raw_path": b"/named",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-length", b"twelve"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("edge.test", 80),
    }
    await _app()(scope, receive, send)
    start, body = sent[0], json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert start["status"] == 400
    assert (body["status"], body["title"]) == (400, "Invalid Content-Length"), body


async def test_a_valid_request_passes_the_edge_with_its_correlation_id(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post("/named", json={"name": "ok"}, headers={"X-Correlation-ID": "c-1"})
    assert (response.status_code, response.json()) == (200, {"name": "ok"})
    assert response.headers["x-correlation-id"] == "c-1"


@pytest.mark.parametrize("route", ["/value-error", "/runtime-error"])
async def test_an_unexpected_error_is_counted_as_a_500_request(
    http: httpx.AsyncClient, route: str
) -> None:
    # The SLIs read conveyor_http_requests_total: a 500 nobody counted would burn no budget.
    labels = {"method": "GET", "route": route, "status": "500"}
    before = REGISTRY.get_sample_value("conveyor_http_requests_total", labels) or 0.0
    assert (await http.get(route)).status_code == 500
    after = REGISTRY.get_sample_value("conveyor_http_requests_total", labels) or 0.0
    assert after == before + 1
    count = REGISTRY.get_sample_value(
        "conveyor_http_request_duration_seconds_count", {"method": "GET", "route": route}
    )
    assert count is not None
    assert count >= 1
