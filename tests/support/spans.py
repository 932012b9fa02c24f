"""Spans recorded in memory, for unit tests of what the services trace.

The process has one tracer provider (`telemetry.configure_tracing` installs it once); this adds an
in-memory exporter to it and empties it for each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from workloads.shared.telemetry import configure_tracing

_exporter = InMemorySpanExporter()
_installed: list[TracerProvider] = []


@contextmanager
def recorded_spans() -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = configure_tracing("unit-tests")
    if provider not in _installed:
        provider.add_span_processor(SimpleSpanProcessor(_exporter))
        _installed.append(provider)
    _exporter.clear()
    try:
        yield _exporter
    finally:
        _exporter.clear()
