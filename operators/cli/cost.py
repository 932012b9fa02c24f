"""`conveyor cost --env <env>`: the monthly AWS cost of a stack, and the product brief's answers.

Reads the synthesized graph (build/synth/<env>.json, from `conveyor synth`), prices it with
policies/cost/prices.yaml and assumptions.yaml, writes build/cost/<env>.json and prints a table:
cost per component and total, cost at 100K / 500K users, cost per 1,000 orders, and the brief's
reference case next to ours. Anything without a price fails the command, naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from operators.paths import BUILD_DIR, REPO_ROOT
from policies.cost.answers import Answers, answer
from policies.cost.capacity import orders_per_day_for_users
from policies.cost.files import read_assumptions, read_graph, read_prices, write_json
from policies.cost.tables import PricingError
from policies.synth_graph import GraphError

SYNTH_DIR = BUILD_DIR / "synth"
COST_DIR = BUILD_DIR / "cost"


def cost(
    env: Annotated[str, typer.Option(help="stack: dev, staging or prod")],
    orders_per_day: Annotated[
        float | None, typer.Option(help="size and price for this load (default: the env's own)")
    ] = None,
    users: Annotated[
        float | None, typer.Option(help="size for this many users (orders/day from assumptions)")
    ] = None,
    lines: Annotated[bool, typer.Option(help="print every line item too")] = False,
) -> None:
    """Price the synthesized stack; write build/cost/<env>.json and print the answers."""
    synth = SYNTH_DIR / f"{env}.json"
    if not synth.exists():
        typer.echo(
            f"{_shown(synth)} is missing: run `make synth ENV={env}` "
            f"(or `conveyor synth --env {env}`) first",
            err=True,
        )
        raise typer.Exit(2)
    try:
        prices, assumptions = read_prices(), read_assumptions()
        if users is not None:
            orders_per_day = orders_per_day_for_users(users, assumptions)
        answers = answer(
            read_graph(synth), prices, assumptions, env=env, orders_per_day=orders_per_day
        )
    except (PricingError, GraphError, ValidationError) as exc:
        typer.echo(f"cannot price {env}: {exc}", err=True)
        raise typer.Exit(1) from exc
    out = COST_DIR / f"{env}.json"
    write_json(out, answers.to_dict(prices, assumptions))
    show(answers, Console(), lines=lines)
    typer.echo(f"written: {_shown(out)}")


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def show(answers: Answers, console: Console, *, lines: bool = False) -> None:
    """The readable table; the JSON file holds every line item and figure."""
    report = answers.configured
    table = Table(
        title=f"{answers.env}: monthly cost as configured (USD, {report.prices_as_of} "
        "us-east-1 on-demand list prices)"
    )
    table.add_column("component")
    table.add_column("monthly", justify="right")
    for component, usd in report.per_component.items():
        table.add_row(component, f"{usd:,.2f}")
    table.add_row("[bold]total[/bold]", f"[bold]{report.total:,.2f}[/bold]")
    console.print(table)
    if lines:
        detail = Table(title="line items")
        for column in ("component", "resource", "item", "quantity", "unit", "monthly"):
            detail.add_column(
                column, justify="right" if column in ("quantity", "monthly") else "left"
            )
        for line in report.lines:
            detail.add_row(
                line.component,
                line.resource,
                line.item,
                f"{line.quantity:,.2f}",
                line.unit,
                f"{line.monthly_usd:,.2f}",
            )
        console.print(detail)

    loads = Table(title="sized for load (peak = average x peak factor; storage at steady state)")
    for column in ("load", "orders/day", "monthly", "per 1,000 orders"):
        loads.add_column(column, justify="left" if column == "load" else "right")
    for e in (answers.at_load, *answers.users):
        loads.add_row(
            e.label,
            f"{e.plan.orders_per_day:,.0f}",
            f"{e.report.total:,.2f}",
            f"{e.cost_per_1000_orders:,.3f}",
        )
    console.print(loads)
    for decision in answers.at_load.plan.decisions:
        console.print(f"  {decision}")

    ref = answers.reference
    compare = Table(title=f"reference case: {ref.ours.plan.orders_per_day:,.0f} orders/day")
    for column in ("component", "brief's config", f"ours ({answers.env})", "difference"):
        compare.add_column(column, justify="left" if column == "component" else "right")
    for component, theirs, ours in ref.rows():
        compare.add_row(component, f"{theirs:,.2f}", f"{ours:,.2f}", f"{ours - theirs:+,.2f}")
    compare.add_row(
        "everything else", "-", f"{ref.ours.report.total - ref.ours_data_tier:,.2f}", ""
    )
    compare.add_row(
        "[bold]total[/bold]",
        f"{ref.reference_total:,.2f}",
        f"{ref.ours.report.total:,.2f}",
        f"brief says {ref.brief_monthly_usd:,.0f}",
    )
    console.print(compare)
    for reason in ref.explanation():
        console.print(f"  - {reason}")
