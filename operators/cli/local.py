"""`conveyor local …`: the local stack of real servers on loopback."""

from __future__ import annotations

import json
import shlex
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from operators.local.installs import MissingDependencyError
from operators.local.servers import ServerError, ServerState
from operators.local.stack import LocalStack, UnknownServerError

app = typer.Typer(help="Run the local stack: PostgreSQL, Redis, Kafka and Prometheus on loopback.")
console = Console()
errors = Console(stderr=True)

ServerNames = Annotated[
    list[str] | None, typer.Argument(help="Servers to act on (default: all).", show_default=False)
]

STATE_STYLE = {
    ServerState.RUNNING: "green",
    ServerState.UNHEALTHY: "yellow",
    ServerState.DEAD: "red",
    ServerState.STOPPED: "dim",
    ServerState.PORT_TAKEN: "red",
}


def _fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=1)


@app.command()
def up(servers: ServerNames = None) -> None:
    """Install what is missing (as root), start the servers and wait until each answers."""
    stack = LocalStack()
    console.print(f"[bold]conveyor local up[/] — state in {stack.settings.state_dir}")
    began = time.monotonic()
    try:
        stack.up(console, servers or ())
    except (MissingDependencyError, ServerError, UnknownServerError) as exc:
        raise _fail(str(exc)) from exc
    console.print(f"[bold green]stack ready[/] in {time.monotonic() - began:.1f} s")


@app.command()
def down(servers: ServerNames = None) -> None:
    """Stop the servers that `conveyor local up` started (never anything else)."""
    try:
        stopped = LocalStack().down(servers or ())
    except UnknownServerError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@app.command()
def status(
    servers: ServerNames = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show each server's state; exits 1 unless every selected server is running."""
    try:
        rows = LocalStack().status(servers or ())
    except UnknownServerError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        payload = [
            {
                "name": r.name,
                "state": r.state.value,
                "pid": r.pid,
                "address": r.address,
                "detail": r.detail,
            }
            for r in rows
        ]
        typer.echo(json.dumps(payload, indent=2))
    else:
        table = Table("server", "state", "pid", "address", "detail", title="local stack")
        for r in rows:
            style = STATE_STYLE[r.state]
            table.add_row(
                r.name, f"[{style}]{r.state.value}[/]", str(r.pid or "—"), r.address, r.detail
            )
        console.print(table)
    if any(r.state is not ServerState.RUNNING for r in rows):
        raise typer.Exit(code=1)


@app.command()
def logs(
    server: Annotated[str | None, typer.Argument(help="One server (default: all).")] = None,
    lines: Annotated[int, typer.Option("--lines", "-n", min=1, help="Lines to show.")] = 40,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
) -> None:
    """Print the last lines of a server's log (or of every server's)."""
    try:
        selected = LocalStack().select([server] if server else [])
    except UnknownServerError as exc:
        raise _fail(str(exc)) from exc
    for s in selected:
        if len(selected) > 1:
            console.rule(f"{s.name} — {s.process.log_file}")
        for line in s.process.log_tail(lines) or [f"(no log yet at {s.process.log_file})"]:
            typer.echo(line)
    if follow:
        if len(selected) != 1:
            raise _fail("--follow needs exactly one server")
        _follow(selected[0].process.log_file)


def _follow(log: Path) -> None:
    with log.open(errors="replace") as handle:
        handle.seek(0, 2)
        try:
            while True:
                line = handle.readline()
                if line:
                    typer.echo(line, nl=False)
                else:
                    time.sleep(0.3)
        except KeyboardInterrupt:
            return


@app.command()
def env() -> None:
    """Print the workloads' connection settings as shell exports (they contain passwords)."""
    for key, value in LocalStack().environment().items():
        typer.echo(f"export {key}={shlex.quote(value)}")
