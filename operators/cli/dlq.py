"""`conveyor dlq list | show | redrive`: dead-letter topics of the local stack (or any Kafka)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from operators.local.aio import run_sync
from operators.local.stack import LocalStack
from workloads.shared.messaging import dlq
from workloads.shared.messaging.kafka import KafkaSettings

app = typer.Typer(help="Inspect and redrive dead-letter topics (<topic>.dlq).")
console = Console()

Bootstrap = Annotated[
    str | None,
    typer.Option("--bootstrap-servers", help="Kafka to use (default: the local stack's)."),
]


def _settings(bootstrap: str | None) -> KafkaSettings:
    return KafkaSettings(bootstrap_servers=bootstrap or LocalStack().kafka.bootstrap_servers)


@app.command("list")
def list_queues(bootstrap_servers: Bootstrap = None) -> None:
    """Every dead-letter topic with its total and not-yet-redriven counts."""
    table = Table("dead-letter topic", "total", "pending")
    for row in run_sync(dlq.summary(_settings(bootstrap_servers))):
        style = "red" if row.pending else "dim"
        table.add_row(f"[{style}]{row.topic}[/]", str(row.total), str(row.pending))
    console.print(table)


@app.command()
def show(
    topic: Annotated[str, typer.Argument(help="A dead-letter topic, e.g. payments.commands.dlq")],
    all_letters: Annotated[bool, typer.Option("--all", help="Include redriven ones.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    bootstrap_servers: Bootstrap = None,
) -> None:
    """The dead letters of one topic: offset, key, error, original coordinates."""
    try:
        letters = run_sync(
            dlq.read(_settings(bootstrap_servers), topic, pending_only=not all_letters)
        )
    except ValueError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "offset": x.offset,
                        "key": x.key,
                        "headers": x.headers,
                        "value": x.value.decode(errors="replace"),
                    }
                    for x in letters
                ],
                indent=2,
            )
        )
        return
    for record in letters:
        origin = "[yellow]without dead-letter headers[/]"
        if (letter := record.letter) is not None:
            origin = (
                f"from {letter.original_topic}[{letter.original_partition}]"
                f"@{letter.original_offset} group={letter.consumer_group} "
                f"attempts={letter.attempts}"
            )
        console.print(
            f"[bold]@{record.offset}[/] key={record.key} "
            f"type={record.headers.get('event_type', '?')} {origin}\n  [red]{record.error}[/]"
        )
    console.print(f"{len(letters)} dead letter(s)")


@app.command()
def redrive(
    topic: Annotated[str, typer.Argument(help="A dead-letter topic, e.g. payments.commands.dlq")],
    key: Annotated[
        str | None, typer.Option("--key", help="Only the letters of this aggregate (order id).")
    ] = None,
    bootstrap_servers: Bootstrap = None,
) -> None:
    """Put pending dead letters back on their original topic (safe to repeat)."""
    try:
        count = run_sync(dlq.redrive(_settings(bootstrap_servers), topic, key=key))
    except ValueError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"redrove {count} message(s) from {topic}")
