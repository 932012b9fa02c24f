"""`conveyor demo`: the main job on the local stack.

Until the workloads land, the demo shows the stack it would run on and states what it will do;
it prints no made-up figures.
"""

from __future__ import annotations

import typer
from rich.console import Console

from operators.local.servers import ServerState
from operators.local.stack import LocalStack
from workloads.catalogue import WORKLOADS
from workloads.shared.topics import TOPICS

console = Console()

PLANNED = """\
Once the order saga lands (issue: order, inventory, payment over Kafka), this demo will:
  1. seed stock in the inventory service;
  2. send a short burst of orders through the gateway, some set to fail payment;
  3. follow each order's saga (reserve inventory -> charge -> confirm, or compensate);
  4. print confirmed, compensated and lost (which must be 0) with latency percentiles.
"""


def demo() -> None:
    """Run the main job on the local stack (which `make demo` has started)."""
    stack = LocalStack()
    rows = stack.status()
    for row in rows:
        mark = "[green]✓[/]" if row.state is ServerState.RUNNING else "[red]✗[/]"
        console.print(f"{mark} {row.name:<11} {row.state.value:<10} {row.address}")
    if any(row.state is not ServerState.RUNNING for row in rows):
        console.print("[red]the stack is not fully up: run `conveyor local up` first[/]")
        raise typer.Exit(code=1)
    databases = [w.name for w in WORKLOADS if w.owns_database]
    console.print(f"\nPostgreSQL databases, one per service: {', '.join(databases)}")
    console.print(f"Kafka topics declared: {', '.join(t.name for t in TOPICS)}")
    console.print(f"Prometheus UI: http://{stack.prometheus.address}\n")
    console.print(PLANNED)
