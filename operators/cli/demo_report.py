"""The demo's closing report, from a load run's result (`loadtests.load.runner`): pure printing."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from loadtests.load.report import print_result

MEMORY_TARGET_MIB = 3 * 1024


def print_report(console: Console, result: dict[str, Any]) -> None:
    console.rule("what happened")
    print_result(console, result)
    hits = result.get("cache_hit_ratio")
    console.print(
        "catalog cache hit ratio: " + ("no lookups" if hits is None else f"{hits:.1%}")
        + f" · dead letters: {result['dead_letters']['during_run']} during the run, "
        f"{result['dead_letters']['total']} in all DLQs"
    )  # fmt: skip
    table = Table(
        "process", "PSS MiB", title="memory of the whole stack (PSS, /proc/*/smaps_rollup)"
    )
    for name, mib in sorted(result["memory_pss_mib"].items(), key=lambda kv: -kv[1]):
        table.add_row(name, f"{mib:,.0f}")
    total = result["memory_pss_total_mib"]
    style = "green" if total <= MEMORY_TARGET_MIB else "red"
    table.add_row(f"[{style}]total[/]", f"[{style}]{total:,.0f}[/]")
    console.print(table)
    verdict = "under" if total <= MEMORY_TARGET_MIB else "OVER"
    console.print(f"the stack uses {total / 1024:.2f} GiB, {verdict} the 3 GiB target")
    console.rule("where to look next")
