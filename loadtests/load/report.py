"""A load run's result as tables for a terminal: endpoints, orders, the verdict check by check."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from loadtests.memory import slope_text, still_growing


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def print_result(console: Console, result: dict[str, Any]) -> None:
    table = Table("type", "endpoint", "requests", "failures", "p50 ms", "p95 ms", "p99 ms",
                  title=f"{result['scenario']}: {result['requests']:,} requests, "
                        f"{result['requests_per_second']}/s")  # fmt: skip
    for e in result["endpoints"]:
        table.add_row(e["type"], e["name"], f"{e['requests']:,}", str(e["failures"]),
                      _ms(e["p50_ms"]), _ms(e["p95_ms"]), _ms(e["p99_ms"]))  # fmt: skip
    console.print(table)
    orders = result["orders"]
    if orders["accepted"]:
        style = "green" if orders["lost"] == 0 else "red"
        console.print(
            f"orders: {orders['accepted']} accepted ({result['orders_per_second']}/s), "
            f"{orders['confirmed']} confirmed, {orders['compensated']} compensated, "
            f"[{style}]{orders['lost']} lost[/]"
        )
    if result.get("memory_trend"):
        print_memory(console, result["memory_trend"])
    print_verdict(console, result["verdict"])


def print_memory(console: Console, trends: dict[str, dict[str, float | None]]) -> None:
    """PSS per process, first and last, with its fitted slopes; still-growing ones in red."""
    growing = set(still_growing(trends))
    table = Table("process", "first MiB", "last MiB", "MiB/h", "first half", "second half",
                  title="memory (PSS) and its trend")  # fmt: skip
    for name, trend in sorted(trends.items()):
        whole, first = (
            slope_text(trend["mib_per_hour"]),
            slope_text(trend["first_half_mib_per_hour"]),
        )
        second = slope_text(trend["second_half_mib_per_hour"])
        table.add_row(name, f"{trend['first_mib']:,.1f}", f"{trend['last_mib']:,.1f}", whole, first,
                      f"[red]{second}[/]" if name in growing else second)  # fmt: skip
    console.print(table)


def print_verdict(console: Console, found: dict[str, Any]) -> None:
    table = Table("check", "result", "measured", title="verdict over the run's window")
    for check in found["checks"]:
        mark = "[green]pass[/]" if check["passed"] else "[bold red]BREACH[/]"
        table.add_row(check["name"], mark, check["detail"])
    console.print(table)
    if found["passed"]:
        console.print("[bold green]verdict: pass[/]")
    else:
        breached = [c for c in found["checks"] if not c["passed"]]
        for check in breached:
            console.print(
                f"[bold red]breach:[/] {check['name']}: {check['detail']}", highlight=False
            )
