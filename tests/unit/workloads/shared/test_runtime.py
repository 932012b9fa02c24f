"""A service's app traces each request once: the edge's SERVER span, nothing of FastAPI's own.

FastAPI's native telemetry switches itself on as soon as a tracer provider is installed and would
add a second SERVER span per request (outside the edge's, in a trace of its own) and spans per
dependency and serialisation: CPU per request for spans nobody reads (ADR 0040). The app is built
by the order service's composition root with a database that points nowhere and called in process
(no lifespan, no socket); logging setup is stubbed so the test leaves the root logger alone.
"""

from __future__ import annotations

import httpx
import pytest
from opentelemetry.trace import SpanKind
from pydantic import SecretStr

from tests.support.spans import recorded_spans
from workloads.order.__main__ import app as order_app
from workloads.order.settings import OrderSettings
from workloads.shared import runtime


async def test_a_request_is_traced_by_the_edge_alone() -> None:
    with recorded_spans() as exporter, pytest.MonkeyPatch.context() as patch:
        patch.setattr(runtime, "configure_logging", lambda *_args: None)
        app = order_app(OrderSettings(database_url=SecretStr("postgresql://unit.invalid/none")))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://unit") as client:
            response = await client.get("/health/live")
        assert response.status_code == 200
        spans = [(span.kind, span.name) for span in exporter.get_finished_spans()]
    assert spans == [(SpanKind.SERVER, "GET /health/live")]
