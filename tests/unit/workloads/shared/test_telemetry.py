"""Logs name the trace and span they were written in; database calls become spans without values."""

from __future__ import annotations

import io
import json
import logging
from types import SimpleNamespace

from opentelemetry import trace

from tests.support.spans import recorded_spans
from workloads.shared import telemetry


def _json_lines(run: object) -> list[dict[str, object]]:
    out = io.StringIO()
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    telemetry.configure_logging("order")
    root.handlers[0].setStream(out)  # type: ignore[attr-defined]
    try:
        run()  # type: ignore[operator]
    finally:
        root.handlers[:] = saved
        root.setLevel(level)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_log_line_carries_the_trace_id_and_span_id_it_was_written_under() -> None:
    spans: list[trace.SpanContext] = []

    def run() -> None:
        with (
            recorded_spans(),
            telemetry.handling(
                "consume ReserveInventory", correlation="c-7", kind=trace.SpanKind.CONSUMER
            ) as span,
        ):
            spans.append(span.get_span_context())
            logging.getLogger("workloads.inventory").warning("stock is low")
        logging.getLogger("workloads.inventory").warning("outside any span")

    inside, outside = _json_lines(run)
    assert inside["trace_id"] == trace.format_trace_id(spans[0].trace_id)
    assert inside["span_id"] == trace.format_span_id(spans[0].span_id)
    assert inside["correlation_id"] == "c-7"
    assert outside["trace_id"] is None
    assert outside["span_id"] is None


def test_a_query_becomes_a_client_span_of_the_work_with_its_sql_and_never_its_values() -> None:
    query = SimpleNamespace(
        query="INSERT INTO payments (order_id, card) VALUES ($1, $2)",
        args=("o-1", "tok_4111111111111111"),
        elapsed=0.004,
        exception=None,
    )
    with recorded_spans() as spans:
        with telemetry.tracer().start_as_current_span("consume ProcessPayment") as work:
            telemetry._query_span(query)
        telemetry._query_span(query)  # no work in progress: nothing recorded
        (sql,) = [s for s in spans.get_finished_spans() if s.kind is trace.SpanKind.CLIENT]
    assert sql.name == "INSERT"
    assert sql.parent is not None
    assert sql.parent.span_id == work.get_span_context().span_id
    assert sql.attributes is not None
    assert sql.attributes["db.statement"] == query.query
    assert sql.end_time is not None
    assert sql.start_time is not None
    assert sql.end_time - sql.start_time >= 4_000_000
    assert "tok_4111111111111111" not in str(dict(sql.attributes))
