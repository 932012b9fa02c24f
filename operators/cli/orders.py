"""`conveyor orders inspect ID | stuck`: debug an order of the local stack (or any, by address).

`inspect` shows the saga's state and step timings, the order's events, its messages waiting in
the outbox or dead-lettered on any `*.dlq` topic, its trace id, and one line on why it is stuck
(operators/diagnostics/verdict.py). `stuck` lists orders not in a terminal state accepted longer
ago than a threshold. Reads only: the database session is read-only, Kafka is read without a
consumer group. An unknown order exits 2; a stack that is down exits 1 naming `conveyor local up`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.table import Column, Table

from operators.diagnostics import order_trace, orders, verdict
from operators.local.aio import run_sync
from operators.local.stack import LocalStack
from operators.local.workloads import WorkloadState
from workloads.shared.messaging import dlq
from workloads.shared.messaging.kafka import KafkaSettings

app = typer.Typer(help="Debug orders: why one is stuck, which ones are.")
console = Console()
DLQ_TIMEOUT_S = 20.0
NOT_FOUND = 2


def _ready(stack: LocalStack) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in stack.workloads.status():
        counts[row.name] = counts.get(row.name, 0) + (row.state is WorkloadState.READY)
    return counts


async def _dead_letters(settings: KafkaSettings, order_id: str) -> list[dlq.DeadLetterRecord]:
    found: list[dlq.DeadLetterRecord] = []
    for topic in await dlq.dead_letter_topics(settings):
        found += [
            r for r in await dlq.read(settings, topic, pending_only=False) if r.key == order_id
        ]
    return found


async def _kafka_view(
    settings: KafkaSettings, record: orders.OrderRecord
) -> tuple[list[dlq.DeadLetterRecord] | None, str | None]:
    """(dead letters, trace id from Kafka); None for dead letters when Kafka did not answer."""
    try:
        letters: list[dlq.DeadLetterRecord] | None = await asyncio.wait_for(
            _dead_letters(settings, record.order_id), DLQ_TIMEOUT_S
        )
    except (TimeoutError, OSError, KafkaError, ValueError):  # Kafka down or a topic gone
        letters = None
    trace = order_trace.first_trace_id(
        [m.headers for m in record.unsent] + [r.headers for r in letters or []]
    ) or await order_trace.from_kafka(settings, record.order_id, record.created_at)
    return letters, trace


@app.command()
def inspect(
    order_id: Annotated[str, typer.Argument(help="The order id (as POST /v1/orders answered).")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The order's saga state, step timings, events, dead letters, trace id and a verdict."""
    stack = LocalStack()
    try:
        record = run_sync(
            orders.read_order(stack.postgres.dsn("order"), order_id, address=stack.postgres.address)
        )
    except orders.OrdersUnavailableError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    if record is None:
        console.print(f"[red]no order {order_id!r}[/] in the order database")
        raise typer.Exit(NOT_FOUND)
    settings = KafkaSettings(bootstrap_servers=stack.kafka.bootstrap_servers)
    letters, trace = run_sync(_kafka_view(settings, record))
    seen = [verdict.DeadLetterSeen(r.topic, r.error) for r in letters or []]
    line = verdict.verdict(record, ready=_ready(stack), dead_letters=seen)
    timings = verdict.step_timings(record)
    url = _trace_url(stack, trace)
    if as_json:
        typer.echo(
            json.dumps(
                _as_json(record, timings, letters, trace, line) | {"trace_url": url}, indent=2
            )
        )
        return
    _show(record, timings, letters, trace, line)
    if url:
        console.print(f"trace: {url}")


def _trace_url(stack: LocalStack, trace: str | None) -> str | None:
    """The trace in the local trace store's UI, when the stack runs one (Zipkin, ADR 0027)."""
    port = getattr(stack.settings, "zipkin_port", None)
    return f"http://{stack.settings.host}:{port}/zipkin/traces/{trace}" if port and trace else None


def _as_json(
    record: orders.OrderRecord,
    timings: list[verdict.StepTiming],
    letters: list[dlq.DeadLetterRecord] | None,
    trace: str | None,
    line: str,
) -> dict[str, object]:
    return {
        "order_id": record.order_id,
        "status": record.status,
        "step": record.step,
        "verdict": line,
        "trace_id": trace,
        "steps": [
            {"step": t.name, "started_at": t.started_at.isoformat(), "seconds": t.seconds}
            for t in timings
        ],
        "events": [
            {"seq": e.seq, "type": e.type, "at": e.occurred_at.isoformat(), "data": e.data}
            for e in record.events
        ],
        "unsent": [{"topic": m.topic, "type": m.event_type} for m in record.unsent],
        "dead_letters": None
        if letters is None
        else [{"topic": r.topic, "offset": r.offset, "error": r.error} for r in letters],
    }


def _show(
    record: orders.OrderRecord,
    timings: list[verdict.StepTiming],
    letters: list[dlq.DeadLetterRecord] | None,
    trace: str | None,
    line: str,
) -> None:
    age = (record.now - record.created_at).total_seconds()
    console.print(
        f"[bold]order {record.order_id}[/]: {record.status}"
        + (f" at {record.step}" if record.step else "")
        + f", accepted {age:.0f} s ago"
    )
    steps = Table("step", "started", "took", title="saga steps")
    for t in timings:
        took = "[yellow]running[/]" if t.seconds is None else f"{t.seconds:.2f} s"
        steps.add_row(t.name, t.started_at.strftime("%H:%M:%S.%f")[:-3], took)
    console.print(steps)
    events = Table("#", "event", "at", "data", title="events")
    for e in record.events:
        data = json.dumps({k: v for k, v in e.data.items() if k != "card_token"})
        events.add_row(str(e.seq), e.type, e.occurred_at.strftime("%H:%M:%S.%f")[:-3], data[:80])
    console.print(events)
    for m in record.unsent:
        console.print(f"unsent: {m.event_type} to {m.topic}, written {m.created_at:%H:%M:%S}")
    if letters is None:
        console.print("dead letters: [yellow]unknown (Kafka did not answer)[/]")
    else:
        console.print(f"dead letters: {len(letters)}")
        for r in letters:
            console.print(f"  {r.topic}@{r.offset}: [red]{r.error}[/]")
    console.print(f"trace id: {trace or '— (no message of this order carries one)'}")
    console.print(f"[bold]verdict:[/] {line}")


@app.command()
def stuck(
    older_than: Annotated[
        str, typer.Option("--older-than", help="Age threshold: 90s, 5m, 1h.")
    ] = "60s",
) -> None:
    """Orders not CONFIRMED, CANCELLED or SHIPPED, accepted longer ago than the threshold."""
    seconds = _seconds(older_than)
    stack = LocalStack()
    try:
        rows = run_sync(
            orders.open_orders(
                stack.postgres.dsn("order"), older_than_s=seconds, address=stack.postgres.address
            )
        )
    except orders.OrdersUnavailableError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    table = Table("status", "step", "age", "unchanged for", title="open orders")
    table.columns.insert(0, Column("order", no_wrap=True, min_width=36))
    for row in rows:
        table.add_row(
            row.order_id, row.status, row.step or "—", f"{row.age_s:.0f} s", f"{row.idle_s:.0f} s"
        )
    console.print(table)
    console.print(f"{len(rows)} order(s) open for longer than {older_than}")


UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(text: str) -> float:
    unit = text[-1:] if text[-1:] in UNITS else "s"
    number = text[:-1] if text[-1:] in UNITS else text
    try:
        value = float(number) * UNITS[unit]
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r}: give a duration like 90s, 5m or 1h") from exc
    if value < 0:
        raise typer.BadParameter(f"{text!r}: a duration cannot be negative")
    return value
