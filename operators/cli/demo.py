"""`conveyor demo`: the whole system under about a minute of mixed load, then a readable report.

Seeds the catalog (idempotently, 2,000 products), then runs the `mixed` Locust scenario (readers
browsing the catalog, customers signing up, logging in and ordering at `--rate`/s with every
tenth card declined so its saga compensates) on the running stack, every request through the
gateway (the only public entry), with a live progress line, and reports: throughput, latencies
per endpoint, every SLO over the run's window with pass or fail, saga outcomes (confirmed,
compensated, lost), the catalog's cache hit ratio, dead letters, and the memory (PSS) of every
server and workload against a 3 GiB target; then writes the SLO report
(build/slo/report.html, `conveyor slo report`) and says where to look next. Exits 1 when an order
was lost or an SLO was breached. The stack keeps running (`conveyor local down` stops it).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from loadtests.load.process import LocustError
from loadtests.load.runner import Options, run_scenario, write
from loadtests.scenarios.registry import scenario
from operators.cli.catalog import seed
from operators.cli.demo_report import print_report
from operators.diagnostics.prometheus import PrometheusError
from operators.diagnostics.report_file import write_report
from operators.local.aio import run_sync
from operators.local.servers import ServerState
from operators.local.stack import LocalStack
from operators.local.workloads import WorkloadState
from workloads.catalog.seeding import generate

console = Console()


def demo(
    seconds: Annotated[float, typer.Option(min=10, help="How long the load runs.")] = 60.0,
    rate: Annotated[float, typer.Option(min=0.5, help="Orders per second.")] = 5.0,
    users: Annotated[int, typer.Option(min=4, help="Concurrent users (a quarter buy).")] = 24,
) -> None:
    """Run about a minute of mixed load on the local stack (which `make demo` has started)."""
    stack = LocalStack()
    if any(r.state is not ServerState.RUNNING for r in stack.status()) or any(
        w.state is not WorkloadState.READY for w in stack.workloads.status()
    ):
        console.print("[red]the stack is not fully up: run `conveyor local up` first[/]")
        raise typer.Exit(code=1)
    with console.status("seeding the catalog (2,000 products, idempotent)…"):
        run_sync(seed(stack, generate(2000, 42)))
    console.print(
        f"[bold]demo[/]: {users} users for {seconds:.0f} s through the gateway "
        f"({stack.workloads.url('gateway')}) — three in four browse the catalog, one in four "
        f"logs in and orders ({rate:g} orders/s together); every 10th card declines, so its "
        "saga must compensate."
    )
    options = Options(users=users, rate=rate, duration_s=seconds)
    try:
        with console.status("starting…") as status:
            result = run_scenario(scenario("mixed"), options, progress=status.update, stack=stack)
    except (LocustError, PrometheusError, OSError, TimeoutError) as exc:
        console.print(f"[red]the load run failed:[/] {exc}")
        raise typer.Exit(code=1) from exc
    write(result)
    print_report(console, result)
    try:
        page = write_report(f"http://{stack.prometheus.address}")
        console.print(f"  SLO report (open it in a browser): [bold]{page}[/]")
    except PrometheusError as exc:
        console.print(f"[yellow]no SLO report:[/] {exc}")
    console.print(f"  traces (Zipkin UI): http://{stack.zipkin.address}/zipkin/")
    example = result.get("example_order_id")
    if example:
        console.print(f"  one order's saga, events and trace: conveyor orders inspect {example}")
    console.print(
        f"  Locust's report: {result['report']['html']}; stop the stack: conveyor local down"
    )
    if not result["verdict"]["passed"]:
        raise typer.Exit(code=1)
