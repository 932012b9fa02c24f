"""`conveyor demo`: the main job on the local stack — a burst of orders through the saga.

Seeds stock, sends a burst of orders (every tenth with a card that declines), follows every saga
to its end and prints what happened: confirmed, compensated, lost (which must be 0) and latency
percentiles from acceptance to the end of the saga; then writes the SLO report
(build/slo/report.html, `conveyor slo report`) and says where it is.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from loadtests.saga import Outcome, Plan, drive
from operators.diagnostics.prometheus import PrometheusError
from operators.diagnostics.report_file import write_report
from operators.local.servers import ServerState
from operators.local.stack import LocalStack
from operators.local.workloads import WorkloadState

console = Console()


def demo(
    orders: Annotated[int, typer.Option(min=1, max=100_000, help="Orders to send.")] = 300,
    rate: Annotated[float, typer.Option(min=1, help="Orders per second.")] = 60.0,
) -> None:
    """Run the main job on the local stack (which `make demo` has started)."""
    stack = LocalStack()
    if any(r.state is not ServerState.RUNNING for r in stack.status()) or any(
        w.state is not WorkloadState.READY for w in stack.workloads.status()
    ):
        console.print("[red]the stack is not fully up: run `conveyor local up` first[/]")
        raise typer.Exit(code=1)
    plan = Plan(orders=orders, rate_per_s=rate)
    console.print(
        f"[bold]demo[/]: {orders} orders at {rate:.0f}/s through order → inventory → payment → "
        f"confirm; every {plan.decline_every}th card declines, so its saga must compensate."
    )
    with console.status("starting…") as status:
        outcome = asyncio.run(drive(stack, plan, status.update))
    _report(outcome)
    try:
        page = write_report(f"http://{stack.prometheus.address}")
        console.print(f"SLO report (open it in a browser): [bold]{page}[/]")
    except PrometheusError as exc:
        console.print(f"[yellow]no SLO report:[/] {exc}")
    if outcome.lost:
        raise typer.Exit(code=1)


def _report(outcome: Outcome) -> None:
    table = Table("outcome", "orders", "p50 ms", "p95 ms", "p99 ms", title="order sagas")
    for status, label in (("CONFIRMED", "confirmed"), ("CANCELLED", "compensated (cancelled)")):
        cells = [outcome.percentile(status, q) for q in (0.5, 0.95, 0.99)]
        table.add_row(label, str(outcome.counts.get(status, 0)),
                      *(f"{c:.0f}" if c is not None else "—" for c in cells))  # fmt: skip
    style = "green" if outcome.lost == 0 else "red"
    table.add_row(f"[{style}]lost[/]", f"[{style}]{outcome.lost}[/]", "", "", "")
    console.print(table)
    console.print(
        f"accepted {len(outcome.accepted)}, rejected {outcome.rejected}; "
        f"sent in {outcome.send_seconds:.1f} s, all sagas ended {outcome.drain_seconds:.1f} s later"
    )
