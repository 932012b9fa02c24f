"""A record sent by the relay carries its producer span, which continues the row's trace."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaProducer
from opentelemetry import trace

from tests.support.spans import recorded_spans
from workloads.shared.messaging import tracing
from workloads.shared.messaging.envelope import header_map
from workloads.shared.telemetry import handling, trace_headers, tracer

ROW_HEADERS = {"event_type": "ReserveInventory", "correlation_id": "c-1"}


class _Producer:
    """Stands in for AIOKafkaProducer.send: the future it returns is the broker's answer."""

    def __init__(self, refuse: BaseException | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.acks: list[asyncio.Future[object]] = []
        self.refuse = refuse

    async def send(self, topic: str, **record: Any) -> asyncio.Future[object]:
        if self.refuse is not None:
            raise self.refuse
        self.sent.append({"topic": topic, **record})
        ack: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self.acks.append(ack)
        return ack


def _written_under_a_request() -> tuple[dict[str, str], trace.SpanContext]:
    with tracer().start_as_current_span("POST /v1/orders") as request:
        return {**ROW_HEADERS, **trace_headers()}, request.get_span_context()


async def test_the_producer_span_is_a_child_of_the_row_and_travels_in_the_headers() -> None:
    with recorded_spans() as spans:
        row, request = _written_under_a_request()
        producer = _Producer()
        sent = await tracing.send(
            cast(AIOKafkaProducer, producer), "inventory.commands", value=b"{}", key=b"o-1",
            headers=row,
        )  # fmt: skip
        assert not [s for s in spans.get_finished_spans() if s.name.startswith("send")]
        sent.set_result(None)  # the broker acknowledges: the span ends
        await asyncio.sleep(0)

        (send,) = [s for s in spans.get_finished_spans() if s.name == "send inventory.commands"]
        assert send.kind is trace.SpanKind.PRODUCER
        assert send.parent is not None
        assert send.parent.span_id == request.span_id
        assert send.context.trace_id == request.trace_id
        headers = header_map(producer.sent[0]["headers"])
        assert headers["traceparent"].split("-")[2] == trace.format_span_id(send.context.span_id)
        assert {k: headers[k] for k in ROW_HEADERS} == ROW_HEADERS


async def test_the_consumer_span_is_a_child_of_the_producer_span() -> None:
    with recorded_spans() as spans:
        row, request = _written_under_a_request()
        producer = _Producer()
        sent = await tracing.send(
            cast(AIOKafkaProducer, producer), "payments.commands", value=b"{}", key=b"o-1",
            headers=row,
        )  # fmt: skip
        sent.set_result(None)
        with handling(
            "consume ProcessPayment",
            correlation="c-1",
            carrier=header_map(producer.sent[0]["headers"]),
            kind=trace.SpanKind.CONSUMER,
        ):
            pass
        await asyncio.sleep(0)
        finished = {s.name: s for s in spans.get_finished_spans()}
        consume, send = finished["consume ProcessPayment"], finished["send payments.commands"]
        assert consume.parent is not None
        assert consume.parent.span_id == send.context.span_id
        assert consume.context.trace_id == request.trace_id


async def test_a_refused_record_ends_its_span_with_the_error() -> None:
    with recorded_spans() as spans:
        row, _ = _written_under_a_request()
        producer = _Producer(refuse=RuntimeError("buffer full"))
        with pytest.raises(RuntimeError):
            await tracing.send(
                cast(AIOKafkaProducer, producer), "orders.confirmed", value=b"{}", key=b"o-1",
                headers=row,
            )  # fmt: skip
        (send,) = [s for s in spans.get_finished_spans() if s.name == "send orders.confirmed"]
        assert send.status.status_code is trace.StatusCode.ERROR


def test_a_row_written_outside_any_trace_starts_one_of_its_own() -> None:
    with recorded_spans():
        span, headers = tracing.producer_span("orders.failed", dict(ROW_HEADERS))
        span.end()
        assert span.parent is None  # type: ignore[attr-defined]
        assert headers["traceparent"].split("-")[1] == trace.format_trace_id(
            span.get_span_context().trace_id
        )
