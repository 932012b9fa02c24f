"""JSON logs carrying the correlation id, W3C trace context across HTTP and Kafka.

The correlation id is born at the HTTP edge (or taken from `X-Correlation-ID`), lives in a context
variable for the request or message being handled, is copied into every envelope the handler
writes, and so reappears in the logs of every service the saga touches. Trace context travels the
same way in `traceparent` headers; spans are exported only when an exporter is configured.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from pythonjsonlogger.json import JsonFormatter

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.correlation_id = correlation_id.get()
        span = trace.get_current_span().get_span_context()
        record.trace_id = f"{span.trace_id:032x}" if span.is_valid else None
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_ContextFilter(service))
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}{service}{correlation_id}{trace_id}",
            style="{",
            rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


def configure_tracing(service: str) -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(
            TracerProvider(resource=Resource.create({"service.name": service}))
        )


def tracer() -> trace.Tracer:
    return trace.get_tracer("conveyor")


def trace_headers() -> dict[str, str]:
    """The current trace context as headers (`traceparent`, `tracestate`)."""
    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier


@contextmanager
def handling(
    name: str, *, correlation: str, carrier: dict[str, str] | None = None, kind: trace.SpanKind
) -> Iterator[trace.Span]:
    """Run a unit of work under a correlation id and a span continuing the caller's trace."""
    token = correlation_id.set(correlation)
    parent = extract(carrier or {})
    ctx_token = otel_context.attach(parent)
    try:
        with tracer().start_as_current_span(name, kind=kind) as span:
            span.set_attribute("conveyor.correlation_id", correlation)
            yield span
    finally:
        otel_context.detach(ctx_token)
        correlation_id.reset(token)
