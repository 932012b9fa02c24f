"""`make bench-sweep`: the knee, the highest offered rate the saga keeps up with.

Each offered rate runs RUNS times (1 by default: a sweep is a search, the headline comes from
`make bench`) for a shorter time (30 s by default), each run on a fresh stack. A rate keeps up
when its median p99 accept→CONFIRMED is under 1 s and its median completed/s is at least 97 % of
the offered rate; the knee is the top of the unbroken run of such rates from the lowest
(loadtests/figures.py). Orders go through the gateway as signed-in customers, or with `--direct`
to the order service (`path`, ADR 0050). Written to `build/bench/sweep.json` with the commit,
machine and date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.table import Table

from loadtests.bench import OUT_DIR, console, fresh_runs, write_json
from loadtests.customers import Direct, Gateway
from loadtests.figures import RatePoint, aggregate, knee
from loadtests.fresh import StackStartError
from loadtests.machine import provenance
from loadtests.saga import Plan

P99_LIMIT_MS = 1000.0
KEEP_UP = 0.97


def _rates(text: str) -> list[float]:
    try:
        rates = sorted({float(part) for part in text.split(",") if part.strip()})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"rates are numbers separated by commas: {text}") from exc
    if not rates or rates[0] <= 0:
        raise argparse.ArgumentTypeError("at least one positive rate")
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", type=_rates, default=_rates("40,60,80,100,120,150"))
    parser.add_argument("--runs", type=int, default=1, help="runs per rate, each on a fresh stack")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--products", type=int, default=50)
    parser.add_argument("--out", type=Path, default=OUT_DIR / "sweep.json")
    parser.add_argument(
        "--direct", action="store_true", help="orders to the order service, not the gateway"
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    console.print(
        f"sweep: {len(args.rates)} rates x {args.runs} run(s) of {args.seconds:.0f} s each"
        + (" (one run per rate: a search, not a headline)" if args.runs == 1 else "")
    )
    points: list[dict[str, Any]] = []
    for rate in args.rates:
        plan = Plan(orders=int(args.seconds * rate), rate_per_s=rate, max_in_flight=128,
                    products=args.products, drain_timeout_s=120, direct=args.direct)  # fmt: skip
        try:
            runs, _ = fresh_runs(plan, args.runs, label=f"{rate:g}/s")
        except StackStartError as exc:
            console.print(f"[bold red]error:[/] {exc}", highlight=False)
            sys.exit(1)
        medians, spread = aggregate(runs)
        point = RatePoint(rate, medians.get("orders_per_second"), medians.get("p99_confirm_ms"))
        ok = point.keeps_up(p99_limit_ms=P99_LIMIT_MS, keep_up=KEEP_UP)
        points.append({"offered_per_s": rate, "keeps_up": ok, **medians, "spread": spread,
                       "runs": runs})  # fmt: skip
    found = knee(
        [RatePoint(p["offered_per_s"], p.get("orders_per_second"), p.get("p99_confirm_ms"))
         for p in points],
        p99_limit_ms=P99_LIMIT_MS, keep_up=KEEP_UP,
    )  # fmt: skip
    result = {**provenance(), "path": (Direct if args.direct else Gateway).path,
              "runs_per_rate": args.runs, "seconds_per_run": args.seconds,
              "p99_limit_ms": P99_LIMIT_MS, "keep_up_fraction": KEEP_UP, "knee_per_s": found,
              "rates": points}  # fmt: skip
    write_json(args.out, result)
    table = Table(title=f"rate sweep ({result['path']}, {args.runs} run(s) per rate, median)")
    for column in ("offered/s", "completed/s", "p99 ms", "keeps up"):
        table.add_column(column)
    for p in points:
        table.add_row(f"{p['offered_per_s']:g}", str(p.get("orders_per_second")),
                      str(p.get("p99_confirm_ms")), "yes" if p["keeps_up"] else "no")  # fmt: skip
    console.print(table)
    console.print(
        f"knee: {found:g} orders/s" if found is not None else "knee: not reached at any rate"
    )


if __name__ == "__main__":
    main()
