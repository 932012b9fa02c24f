"""Trace context on Kafka records: one producer span per record sent, its context in the headers.

An outbox row carries the `traceparent` of the request or message whose transaction wrote it
(`outbox.append` stores `telemetry.trace_headers()` with the row). When the relay sends the row,
`send` opens a PRODUCER span as a child of that context, puts the producer span's own context in
the record's headers in place of the row's, and ends the span when Kafka acknowledges the record
(or refuses it: the span then carries the error). The consumer's span (`telemetry.handling`,
kind CONSUMER) extracts those headers, so it is a *child* of the producer span: one order is one
trace, HTTP → send → consume → send → … , across every service and every hop.

Failure behaviour: tracing never changes delivery. A row without trace headers (written outside
any traced work) starts a trace of its own; an unsampled parent yields a non-recording span whose
context still travels, so the downstream keeps the same decision.
"""

from __future__ import annotations

import asyncio
from functools import partial

from aiokafka import AIOKafkaProducer
from opentelemetry import trace
from opentelemetry.propagate import extract, inject

from workloads.shared.telemetry import tracer

TRACE_HEADERS = frozenset({"traceparent", "tracestate", "baggage"})


def producer_span(topic: str, headers: dict[str, str]) -> tuple[trace.Span, dict[str, str]]:
    """A started PRODUCER span under the row's context, and the record's headers carrying it."""
    parent = extract(headers)
    span = tracer().start_span(
        f"send {topic}",
        context=parent,
        kind=trace.SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.destination.name": topic,
            "messaging.operation.type": "send",
        },
    )
    carried = {k: v for k, v in headers.items() if k not in TRACE_HEADERS}
    inject(carried, context=trace.set_span_in_context(span, parent))
    return span, carried


async def send(
    producer: AIOKafkaProducer, topic: str, *, value: bytes, key: bytes, headers: dict[str, str]
) -> asyncio.Future[object]:
    """`producer.send` under a producer span that ends with the record's acknowledgement."""
    span, carried = producer_span(topic, headers)
    try:
        sent: asyncio.Future[object] = await producer.send(
            topic, value=value, key=key, headers=[(k, v.encode()) for k, v in carried.items()]
        )
    except BaseException as exc:
        _end(span, exc)
        raise
    sent.add_done_callback(partial(_acknowledged, span))
    return sent


def _acknowledged(span: trace.Span, sent: asyncio.Future[object]) -> None:
    _end(span, None if sent.cancelled() else sent.exception())


def _end(span: trace.Span, error: BaseException | None) -> None:
    if error is not None:
        span.record_exception(error)
        span.set_status(trace.StatusCode.ERROR, type(error).__name__)
    span.end()
