"""`make bench`: the saga benchmark, RUNS times on fresh state, next to this machine's limits.

Each run starts from a fresh stack (loadtests/fresh.py: stopped, state deleted, started as
`conveyor local up` does) and drives the same plan (loadtests/run.py): through the gateway as
signed-in customers, or with `--direct` at the order service (`path` in the figures, ADR 0050). The
top-level figures of `build/bench/saga.json` are the medians over the runs, `spread` holds each
figure's min and max, `runs` each run's own figures, and the commit, machine, date and command line
say where they came from (loadtests/machine.py). After the runs, on the last run's stack, the raw
limits (loadtests/limits.py) go to `build/bench/limits.json`, and the summary reads the saga as a
fraction of them. A stack that cannot start stops the benchmark with the command that shows why.

`--trace-sample-ratio R` runs the pipeline with `spec.tracing.sampleRatio` = R (a copy of it in
the output folder, `pipeline-<name>.yaml`); without it the pipeline is run as it is (the local
one keeps every trace), and the figures record the ratio either way (`trace_sample_ratio`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.status import Status
from rich.table import Table

from loadtests import limits
from loadtests.figures import aggregate, cost_tiers
from loadtests.fresh import StackStartError, fresh_stack
from loadtests.machine import provenance
from loadtests.run import run
from loadtests.saga import Plan
from operators.local.settings import LocalStackSettings
from operators.local.stack import LocalStack
from operators.paths import REPO_ROOT
from operators.pipeline.spec import load

console = Console()
OUT_DIR = REPO_ROOT / "build" / "bench"


def fresh_runs(
    plan: Plan, runs: int, *, label: str, settings: LocalStackSettings | None = None
) -> tuple[list[dict[str, Any]], LocalStack]:
    """`runs` runs of `plan`, each on a fresh stack; returns their figures and the last stack."""
    results: list[dict[str, Any]] = []
    stack: LocalStack | None = None
    for n in range(1, runs + 1):
        console.rule(f"{label}: run {n}/{runs} — fresh stack")
        stack = fresh_stack(console, settings)
        prefix = f"{label}: run {n}/{runs}"
        with console.status(f"{prefix} starting…") as status:

            def progress(text: str, *, prefix: str = prefix, status: Status = status) -> None:
                status.update(f"{prefix}, {text}")

            result = asyncio.run(run(stack, plan, progress))
        console.print(
            f"  run {n} ({result['path']}): {result['orders_per_second']} completed/s, "
            f"p99 {result['p99_confirm_ms']} ms, lost {result['lost']}, "
            f"refused {result['rejected']}"
        )
        results.append(result)
    if stack is None:
        raise ValueError("at least one run")
    return results, stack


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """saga.json's body: provenance, the medians at the top level, spread and every run."""
    medians, spread = aggregate(runs)
    # What policies/cost/assumptions.yaml `benchmark.cpu_seconds_per_1000_orders` takes.
    tiers = cost_tiers(medians.get("cpu_seconds_per_1000_orders") or {})
    return {
        **provenance(),
        "run_count": len(runs),
        **medians,
        "cost_model_cpu_seconds_per_1000_orders": tiers,
        "spread": spread,
        "runs": runs,
    }


def _read_against_limits(saga: dict[str, Any], machine: dict[str, float]) -> Table:
    table = Table(title="saga figures (median) as a fraction of this machine's limits")
    for column in ("figure", "saga", "limit", "fraction"):
        table.add_column(column)
    rate = saga.get("orders_per_second") or 0.0
    accepted = saga.get("accepted") or 0
    per_order = (saga.get("kafka_events") or 0) / accepted if accepted else 0.0
    kafka = machine.get("kafka_messages_per_second") or 0.0
    driver = machine.get("driver_requests_per_second") or 0.0
    table.add_row(
        f"Kafka messages/s ({per_order:.1f} per order x {rate}/s)",
        f"{per_order * rate:.0f}", f"{kafka:.0f}",
        f"{per_order * rate / kafka:.0%}" if kafka else "-",
    )  # fmt: skip
    table.add_row(
        "driver requests/s (orders offered)",
        f"{saga.get('target_rate_per_s')}", f"{driver:.0f}",
        f"{(saga.get('target_rate_per_s') or 0) / driver:.0%}" if driver else "-",
    )  # fmt: skip
    commits = (saga.get("postgres_commits") or 0) / accepted if accepted else 0.0
    postgres = machine.get("postgres_commits_per_second") or 0.0
    table.add_row(
        f"PostgreSQL commits/s ({commits:.1f} per order x {rate}/s)",
        f"{commits * rate:.0f}", f"{postgres:.0f}",
        f"{commits * rate / postgres:.0%}" if postgres else "-",
    )  # fmt: skip
    return table


def _print_summary(saga: dict[str, Any]) -> None:
    title = f"saga benchmark ({saga.get('path')}), median of {saga['run_count']} runs (min-max)"
    table = Table(title=title)
    table.add_column("figure")
    table.add_column("median")
    table.add_column("spread")
    for key in ("orders_per_second", "p50_confirm_ms", "p95_confirm_ms", "p99_confirm_ms",
                "events_per_minute", "lost", "oversold", "duplicates_charged"):  # fmt: skip
        span = saga["spread"].get(key)
        table.add_row(key, str(saga.get(key)), f"{span['min']}-{span['max']}" if span else "-")
    console.print(table)
    cpu = Table(title="CPU seconds per 1,000 accepted orders (median)")
    cpu.add_column("process")
    cpu.add_column("seconds")
    for name, value in sorted(saga.get("cpu_seconds_per_1000_orders", {}).items()):
        cpu.add_row(name, str(value))
    console.print(cpu)
    statements = saga.get("postgres_statements_per_order", {})
    console.print(f"PostgreSQL statements per accepted order (median, by database): {statements}")
    tiers = saga.get("cost_model_cpu_seconds_per_1000_orders", {})
    console.print(f"cost model benchmark.cpu_seconds_per_1000_orders (assumptions.yaml): {tiers}")


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    console.print(f"written to {path}")


def with_sampling(ratio: float | None, copy: Path) -> LocalStackSettings:
    """The stack's settings; with a ratio, pointing at a copy of its pipeline sampling so."""
    settings = LocalStackSettings()
    if ratio is None:
        return settings
    if not 0.0 <= ratio <= 1.0:
        raise SystemExit(f"--trace-sample-ratio must be within 0..1, not {ratio}")
    document = yaml.safe_load(settings.pipeline.read_text(encoding="utf-8"))
    document["spec"]["tracing"] = {"sampleRatio": ratio}
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return settings.model_copy(update={"pipeline": copy})


def sample_ratio(pipeline: Path) -> float:
    """The trace sample ratio the pipeline's workloads run with."""
    return load(pipeline).spec.tracing.sample_ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs, each on a fresh stack")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument(
        "--products",
        type=int,
        default=50,
        help="distinct products ordered (few products = hot rows = serialised reservations)",
    )
    parser.add_argument(
        "--limits-seconds", type=float, default=10.0, help="time per limit; 0 measures none"
    )
    parser.add_argument("--name", default="saga", help="the figures go to <out-dir>/<name>.json")
    parser.add_argument(
        "--direct", action="store_true", help="orders to the order service, not the gateway"
    )
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    parser.add_argument(
        "--trace-sample-ratio",
        type=float,
        default=None,
        help="run the pipeline with this spec.tracing.sampleRatio (default: the pipeline's own)",
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    plan = Plan(orders=int(args.seconds * args.rate), rate_per_s=args.rate, max_in_flight=128,
                products=args.products, drain_timeout_s=120, direct=args.direct)  # fmt: skip
    try:
        settings = with_sampling(
            args.trace_sample_ratio, args.out_dir / f"pipeline-{args.name}.yaml"
        )
        runs, stack = fresh_runs(plan, args.runs, label="saga", settings=settings)
    except StackStartError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(1)
    saga = summarise(runs) | {"trace_sample_ratio": sample_ratio(settings.pipeline)}
    write_json(args.out_dir / f"{args.name}.json", saga)
    if args.limits_seconds <= 0:
        _print_summary(saga)
        return
    with console.status("limits: starting…") as status:
        machine = asyncio.run(
            limits.measure(stack, seconds=args.limits_seconds, progress=status.update)
        )
    write_json(args.out_dir / "limits.json", {**provenance(), **machine})
    _print_summary(saga)
    console.print(_read_against_limits(saga, machine))


if __name__ == "__main__":
    main()
