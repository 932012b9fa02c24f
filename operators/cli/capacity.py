"""`conveyor capacity --orders-per-second N`: measured CPU per order → replicas, nodes, price.

Reads measured CPU seconds per 1,000 orders per process: from load runs (`--from
build/load/checkout.json`, several give the per-process median) or else from `make bench`
(build/bench/saga.json); and CPU per 1,000 browse requests from `make load SCENARIO=browse`
(build/load/browse.json), charged `--browse-per-order` times per order (an assumption, printed).
Sizes every workload's replicas for N orders/s and for the peak (`--peak-factor`, 10: Black
Friday), then hands the measured tiers to the cost model (policies/cost/capacity.py), which sizes
nodes, database, brokers and cache of each synthesized environment (build/synth/<env>.json) and
prices them: monthly cost and cost per 1,000 orders. Prints each input file's provenance (commit,
date, command); a missing input is an error naming the command that makes it. Writes
build/capacity/capacity.json. Method and limits: docs/cost.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from loadtests.figures import median
from operators.paths import BUILD_DIR
from policies.cost.capacity import estimate
from policies.cost.files import read_assumptions, read_graph, read_prices, write_json
from policies.cost.tables import AssumptionFile
from policies.cost.workload_sizing import combined, cost_tiers, per_workload, size

console = Console()
SECONDS_PER_DAY = 86_400


def _read(paths: list[Path], key: str, hint: str) -> tuple[dict[str, float], list[str]]:
    """Per-process median of `key` over the files, and one provenance line per file."""
    runs: list[dict[str, Any]] = []
    for path in paths:
        if not path.exists():
            console.print(f"[red]{path} is missing:[/] {hint}")
            raise typer.Exit(2)
        runs.append(json.loads(path.read_text()))
    names = sorted({n for r in runs for n in r.get(key, {})})
    figures = {n: median([r.get(key, {}).get(n) for r in runs]) for n in names}
    sources = [
        f"{p}: commit {str(r.get('commit'))[:7]}, {r.get('date')}, `{r.get('command')}`"
        for p, r in zip(paths, runs, strict=True)
    ]
    return {n: v for n, v in figures.items() if v is not None}, sources


def _with(a: AssumptionFile, tiers: dict[str, float], peak_to_average: float) -> AssumptionFile:
    cpu = a.benchmark.cpu_seconds_per_1000_orders.model_copy(update=tiers)
    bench = a.benchmark.model_copy(update={"cpu_seconds_per_1000_orders": cpu})
    load = a.load.model_copy(update={"peak_to_average": peak_to_average})
    return a.model_copy(update={"benchmark": bench, "load": load})


def capacity(
    *,
    orders_per_second: Annotated[float, typer.Option(min=0.001, help="peak orders/s to carry")],
    from_: Annotated[
        list[Path] | None, typer.Option("--from", help="load runs (checkout JSON) to size from")
    ] = None,
    bench: Annotated[Path, typer.Option(help="`make bench` figures")] = BUILD_DIR
    / "bench"
    / "saga.json",
    browse: Annotated[list[Path] | None, typer.Option(help="browse runs (JSON)")] = None,
    browse_per_order: Annotated[float, typer.Option(help="browse requests per order")] = 20.0,
    orders_per_day: Annotated[
        float | None, typer.Option(help="daily volume (default: N x 86,400 / peak_to_average)")
    ] = None,
    env: Annotated[
        list[str] | None, typer.Option(help="environments (default: all synthesized)")
    ] = None,
    peak_factor: Annotated[float, typer.Option(min=1, help="the Black Friday multiple")] = 10.0,
) -> None:
    """Replicas, nodes, data tiers and monthly cost for N orders/s (and for the peak)."""
    a, prices = read_assumptions(), read_prices()
    order_files = from_ or [bench]
    per_order, sources = _read(order_files, "cpu_seconds_per_1000_orders",
                               "run `make bench` or `make load SCENARIO=checkout`")  # fmt: skip
    browse_files = browse or [BUILD_DIR / "load" / "browse.json"]
    per_browse, browse_sources = _read(browse_files, "cpu_seconds_per_1000_requests",
                                       "run `make load SCENARIO=browse`")  # fmt: skip
    cpu = combined(per_workload(per_order), per_workload(per_browse), browse_per_order)
    tiers = cost_tiers(cpu)
    console.print("[bold]measured inputs[/] (CPU s per 1,000 orders, median per process):")
    for line in (*sources, *browse_sources):
        console.print(f"  {line}", highlight=False)
    console.print(f"  per 1,000 orders incl. {browse_per_order:g} browse requests each: {cpu}")
    console.print(f"  cost model tiers: {tiers}")
    daily = orders_per_day or orders_per_second * SECONDS_PER_DAY / a.load.peak_to_average
    ratio = orders_per_second * SECONDS_PER_DAY / daily
    if ratio < 1:
        console.print(f"[red]{daily:,.0f} orders/day average more than {orders_per_second} /s[/]")
        raise typer.Exit(2)
    envs = env or sorted(p.stem for p in (BUILD_DIR / "synth").glob("*.json"))
    if not envs:
        console.print("[red]no synthesized stack:[/] run `make synth` first")
        raise typer.Exit(2)
    out: dict[str, Any] = {"inputs": [*sources, *browse_sources], "cpu_per_1000_orders": cpu,
                           "tiers": tiers, "orders_per_day": daily, "loads": []}  # fmt: skip
    for label, load in (("normal", orders_per_second), ("peak", orders_per_second * peak_factor)):
        sizing = size(cpu, load, utilization=a.load.target_utilization)
        table = Table("workload", "vCPU", "replicas",
                      title=f"{label}: {load:g} orders/s ({load * 60:,.0f}/min)")  # fmt: skip
        for name, vcpu in sizing.vcpu.items():
            table.add_row(name, f"{vcpu:.2f}", str(sizing.replicas.get(name, "tier")))
        console.print(table)
        costs = Table("env", "monthly USD", "per 1,000 orders", "sized", title=f"{label}: cost")
        entry: dict[str, Any] = {
            "label": label,
            "orders_per_second": load,
            "replicas": sizing.replicas,
            "vcpu": sizing.vcpu,
            "envs": {},
        }
        for name in envs:
            assumptions = _with(a, tiers, ratio * load / orders_per_second)
            graph = read_graph(BUILD_DIR / "synth" / f"{name}.json")
            found = estimate(
                graph, prices, assumptions, env=name, orders_per_day=daily, label=label
            )
            decisions = "\n".join(found.plan.decisions)
            costs.add_row(name, f"{found.report.total:,.0f}", f"{found.cost_per_1000_orders:,.2f}",
                          decisions)  # fmt: skip
            entry["envs"][name] = {"monthly_usd": round(found.report.total, 2),
                                   "per_1000_orders_usd": round(found.cost_per_1000_orders, 3),
                                   "decisions": list(found.plan.decisions)}  # fmt: skip
        console.print(costs)
        out["loads"].append(entry)
    path = BUILD_DIR / "capacity" / "capacity.json"
    write_json(path, out)
    console.print(f"written: {path}")
