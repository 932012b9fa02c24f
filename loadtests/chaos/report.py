"""One row per scenario, written to build/chaos/report.json and printed as a table.

The JSON keeps everything a replay needs (the seed, the path the orders took: `gateway` or
`direct`, each scenario's drawn plan, its fault windows) and every violation with the ids it
names; the table shows the columns docs/chaos.md explains.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from loadtests.chaos.violations import Violation


@dataclass
class ScenarioResult:
    scenario: str
    plan: dict[str, Any]
    accepted: int = 0
    refused: int = 0
    refusals: dict[str, int] = field(default_factory=dict)  # answer (status or error) -> orders
    unacknowledged: int = 0  # created, but the 202 never reached the driver (a process died)
    confirmed: int = 0
    compensated: int = 0  # ended CANCELLED (stock, card, or a compensation)
    lost: int = 0
    double_charges: int = 0
    oversold: int = 0
    stock_drift: int = 0
    first_success_s: float | None = None  # fault end → first order accepted after it confirmed
    all_terminal_s: float | None = None  # fault end → last in-flight order terminal
    restart_to_ready_s: float | None = None  # slowest replica, kill/restart → ready
    faults: list[dict[str, Any]] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    error: str | None = None  # the scenario itself failed (could not inject or heal)

    @property
    def passed(self) -> bool:
        return not self.violations and self.error is None


def write(path: Path, seed: int, results: list[ScenarioResult], *, route: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "seed": seed,
        "path": route,
        "passed": all(r.passed for r in results),
        "scenarios": [asdict(r) | {"passed": r.passed} for r in results],
    }
    path.write_text(json.dumps(body, indent=2, default=str) + "\n")


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def table(seed: int, results: list[ScenarioResult], *, route: str) -> Table:
    grid = Table(title=f"make chaos (SEED={seed}, orders {route})")
    for column in (
        "scenario",
        "accepted",
        "confirmed",
        "compensated",
        "lost",
        "double charges",
        "oversold",
        "stock drift",
        "first ok s",
        "all terminal s",
        "ready s",
        "result",
    ):
        grid.add_column(column, justify="left" if column == "scenario" else "right")  # fmt: skip
    for r in results:
        grid.add_row(
            r.scenario, str(r.accepted), str(r.confirmed), str(r.compensated), str(r.lost),
            str(r.double_charges), str(r.oversold), str(r.stock_drift),
            _seconds(r.first_success_s), _seconds(r.all_terminal_s),
            _seconds(r.restart_to_ready_s),
            "[green]ok[/]" if r.passed else "[red]FAIL[/]",
        )  # fmt: skip
    return grid


def print_report(console: Console, seed: int, results: list[ScenarioResult], *, route: str) -> None:
    console.print(table(seed, results, route=route))
    for r in results:
        if r.error:
            console.print(f"[red]{r.scenario}[/]: {r.error}")
        for violation in r.violations:
            console.print(f"[red]{r.scenario}[/]: {violation}")
