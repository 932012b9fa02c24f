"""JSON logs carrying the correlation id and the trace, W3C trace context across HTTP and Kafka.

The correlation id is born at the HTTP edge (or taken from `X-Correlation-ID`), lives in a context
variable for the request or message being handled, is copied into every envelope the handler
writes, and so reappears in the logs of every service the saga touches. Trace context travels the
same way in `traceparent` headers (`messaging/tracing.py` for Kafka), so one order is one trace;
every log line carries the `trace_id` and `span_id` it was written under.

Spans are sampled parent-based by ratio (`TRACE_SAMPLE_RATIO`): a trace started here is kept with
that probability, a continued one follows its caller's decision. They are exported over OTLP/HTTP
in the background (a bounded queue; when the collector is away spans are dropped, never the
work) when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, else not at all. Database calls become client
spans after the fact (`trace_queries`): the SQL text with its `$n` placeholders, never the values.

Cost (ADR 0040): every span of a saga passes through here, so the process keeps one tracer (the
SDK's `get_tracer` builds scope objects and rewrites the warnings filters on each call), its
resource hashes once (the OTLP encoder looks every span's resource up in a dict, and the SDK's
hash serialises the attributes to JSON each time), and spans leave in batches of 2,048.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBasedTraceIdRatio
from pythonjsonlogger.json import JsonFormatter

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")
_DB_STATEMENT_CHARS = 500
_EXPORT_BATCH_SPANS = 2048


class _HashedOnce(Resource):
    """A resource whose hash is computed once: it never changes after the provider is made."""

    def __init__(self, resource: Resource) -> None:
        super().__init__(resource.attributes, resource.schema_url)
        self._hash = super().__hash__()

    def __hash__(self) -> int:
        return self._hash


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.correlation_id = correlation_id.get()
        span = trace.get_current_span().get_span_context()
        record.trace_id = trace.format_trace_id(span.trace_id) if span.is_valid else None
        record.span_id = trace.format_span_id(span.span_id) if span.is_valid else None
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_ContextFilter(service))
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}{service}{correlation_id}{trace_id}{span_id}",
            style="{",
            rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


def configure_tracing(
    service: str, *, otlp_endpoint: str | None = None, sample_ratio: float = 1.0
) -> TracerProvider:
    """Install the process's tracer provider once; later calls return the installed one."""
    installed = trace.get_tracer_provider()
    if isinstance(installed, TracerProvider):
        return installed
    provider = TracerProvider(
        resource=_HashedOnce(Resource.create({"service.name": service})),
        sampler=ParentBasedTraceIdRatio(sample_ratio),
    )
    if otlp_endpoint:
        exporter = OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces", timeout=5)
        provider.add_span_processor(
            BatchSpanProcessor(
                exporter, max_queue_size=8192, max_export_batch_size=_EXPORT_BATCH_SPANS
            )
        )
    trace.set_tracer_provider(provider)
    return provider


@functools.cache
def tracer() -> trace.Tracer:
    """The process's tracer (a proxy until `configure_tracing` installs the provider)."""
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


def trace_queries(connection: Any) -> None:
    """Make every query on this asyncpg connection a client span of the work that ran it.

    asyncpg calls its query loggers just after each query, in the caller's context, with the
    time the query took; the span is placed back at the query's start. Only statements made
    while a sampled span is current are recorded (`pool.init` hook, see database.py).
    """
    connection.add_query_logger(_query_span)


def _query_span(query: Any) -> None:
    parent = trace.get_current_span()
    if not parent.get_span_context().trace_flags.sampled:
        return
    ended = time.time_ns()
    began = ended - int(query.elapsed * 1e9)
    statement: str = query.query
    span = tracer().start_span(
        statement.split(None, 1)[0].rstrip(";").upper() if statement.strip() else "SQL",
        kind=trace.SpanKind.CLIENT,
        start_time=began,
        attributes={
            "db.system": "postgresql",
            "db.statement": statement[:_DB_STATEMENT_CHARS],
        },
    )
    if query.exception is not None:
        span.set_status(trace.StatusCode.ERROR, type(query.exception).__name__)
    span.end(end_time=ended)
