"""`conveyor local …`: the local stack of real servers on loopback."""

from __future__ import annotations

import json
import shlex
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from operators.local.installs import MissingDependencyError
from operators.local.plan import PipelineError
from operators.local.servers import ServerError, ServerState
from operators.local.settings import LocalStackSettings
from operators.local.stack import LocalStack, UnknownServerError
from operators.local.workloads import WorkloadState

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
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False)  # logs hold [brackets]
    return typer.Exit(code=1)


@app.command()
def up(
    servers: ServerNames = None,
    servers_only: Annotated[
        bool, typer.Option("--servers-only", help="Start the servers but no workloads.")
    ] = False,
    pipeline: Annotated[
        Path | None,
        typer.Option(
            "--pipeline",
            help="OrderPipeline file to run (default: $CONVEYOR_PIPELINE, else "
            "operators/examples/local.yaml).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Install what is missing (as root), start servers and the pipeline's workloads, wait."""
    stack = LocalStack(LocalStackSettings(pipeline=pipeline) if pipeline else None)
    console.print(
        f"[bold]conveyor local up[/] — pipeline {stack.settings.pipeline}, "
        f"state in {stack.settings.state_dir}"
    )
    began = time.monotonic()
    try:
        stack.up(console, servers or (), workloads=not servers_only)
    except (MissingDependencyError, ServerError, UnknownServerError, PipelineError) as exc:
        raise _fail(str(exc)) from exc
    console.print(f"[bold green]stack ready[/] in {time.monotonic() - began:.1f} s")


@app.command()
def restart(
    workload: Annotated[str | None, typer.Argument(help="One workload (default: all).")] = None,
) -> None:
    """Restart workload replicas gracefully, e.g. after changing code or flags."""
    stack = LocalStack()
    restarted = stack.workloads.restart(workload, stack.settings.stop_timeout_s)
    console.print(f"restarting: {', '.join(restarted) or 'nothing was running'}")
    stack.wait_for_workloads(console)


@app.command()
def scale(
    workload: Annotated[str, typer.Argument(help="A runnable workload, e.g. inventory.")],
    replicas: Annotated[int, typer.Argument(min=0, max=10)],
) -> None:
    """Set a workload's replica count; the supervisor starts or stops replicas to match."""
    stack = LocalStack()
    try:
        stack.workloads.scale(workload, replicas)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    stack.wait_for_workloads(console)


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
    """Show servers and workloads; exits 1 unless all are running and ready."""
    stack = LocalStack()
    try:
        rows = stack.status(servers or ())
    except UnknownServerError as exc:
        raise _fail(str(exc)) from exc
    replicas = [] if servers else stack.workloads.status()
    if as_json:
        payload = {
            "servers": [
                {
                    "name": r.name,
                    "state": r.state.value,
                    "pid": r.pid,
                    "address": r.address,
                    "detail": r.detail,
                }
                for r in rows
            ],
            "workloads": [
                {
                    "name": w.name,
                    "replica": w.replica,
                    "state": w.state.value,
                    "pid": w.pid,
                    "address": w.address,
                }
                for w in replicas
            ],
        }
        typer.echo(json.dumps(payload, indent=2))
    else:
        table = Table("server", "state", "pid", "address", "detail", title="local stack")
        for r in rows:
            style = STATE_STYLE[r.state]
            table.add_row(
                r.name, f"[{style}]{r.state.value}[/]", str(r.pid or "—"), r.address, r.detail
            )
        for w in replicas:
            style = "green" if w.state is WorkloadState.READY else "yellow"
            table.add_row(
                f"{w.name}-{w.replica}",
                f"[{style}]{w.state.value}[/]",
                str(w.pid or "—"),
                w.address,
                "workload",
            )
        console.print(table)
    servers_ok = all(r.state is ServerState.RUNNING for r in rows)
    workloads_ok = all(w.state in {WorkloadState.READY, WorkloadState.HELD} for w in replicas)
    if not (servers_ok and workloads_ok):
        raise typer.Exit(code=1)


@app.command()
def logs(
    server: Annotated[
        str | None, typer.Argument(help="One server or workload (default: all).")
    ] = None,
    lines: Annotated[int, typer.Option("--lines", "-n", min=1, help="Lines to show.")] = 40,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
) -> None:
    """Print the last lines of a server's log (or of every server's)."""
    stack = LocalStack()
    processes = {s.name: s.process for s in stack.servers}
    processes["supervisor"] = stack.supervisor
    for w in stack.workloads.status():
        processes[f"{w.name}-{w.replica}"] = stack.workloads.process(w.name, w.replica)
    if server is not None and f"{server}-0" in processes and server not in processes:
        server = f"{server}-0"
    if server is not None and server not in processes:
        raise _fail(f"unknown server or workload {server!r}; choose from {', '.join(processes)}")
    selected = [processes[server]] if server else list(processes.values())
    for process in selected:
        if len(selected) > 1:
            console.rule(f"{process.name} — {process.log_file}")
        for line in process.log_tail(lines) or [f"(no log yet at {process.log_file})"]:
            typer.echo(line)
    if follow:
        if len(selected) != 1:
            raise _fail("--follow needs exactly one server or workload")
        _follow(selected[0].log_file)


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
