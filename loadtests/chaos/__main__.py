"""`python -m loadtests.chaos [--scenarios a,b] [--seed N]`: what `make chaos` runs.

Needs the local stack (`make up` with the same CONVEYOR_* settings); brings it back to its plan
before each scenario. Orders go through the gateway as signed-in customers (`--direct`: to the
order service, as before the gateway; ADR 0050). Refuses (exit 2) a stack whose ports the kernel
may hand out to clients (`ports.py`: a restarted server could find its port taken). Writes
build/chaos/report.json, prints the table, and exits 1 when any scenario broke an invariant or
failed to run (the violations name the order ids).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import sys
from pathlib import Path

from rich.console import Console

from loadtests.chaos import ports, registry, report
from loadtests.chaos.runner import Pace, run_one
from loadtests.customers import Direct, Gateway
from operators.local.stack import LocalStack
from operators.paths import REPO_ROOT

REPORT = REPO_ROOT / "build" / "chaos" / "report.json"


async def main(names: list[str], seed: int, out: Path, pace: Pace) -> bool:
    console = Console(width=160)  # the table's twelve columns, also when piped
    stack = LocalStack()
    rng = random.Random(seed)  # noqa: S311 - a replayable draw, not a secret
    route = (Direct if pace.direct else Gateway).path
    results = []
    for scenario in registry.select(names):
        console.rule(f"{scenario.name}: {scenario.summary}")
        result = await run_one(stack, scenario, rng, pace=pace, log=console.log)
        results.append(result)
        report.write(out, seed, results, route=route)  # after each: a crash keeps what ran
    report.print_report(console, seed, results, route=route)
    console.print(f"report: {out}")
    return all(r.passed for r in results)


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests.chaos")
    parser.add_argument("--scenarios", default="", help="comma-separated names (default: all)")
    parser.add_argument("--seed", type=int, default=None, help="replay a run (default: random)")
    parser.add_argument("--rate", type=float, default=Pace.rate_per_s, help="orders per second")
    parser.add_argument("--out", type=Path, default=REPORT)
    parser.add_argument(
        "--direct", action="store_true", help="orders to the order service, not the gateway"
    )
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    seed = args.seed if args.seed is not None else secrets.randbelow(1_000_000)
    try:
        registry.select(names)
    except registry.UnknownScenarioError as exc:
        print(exc, file=sys.stderr)
        return 2
    problem = ports.problem(LocalStack())
    if problem is not None:  # a restart could fail for a reason that is not the system's
        print(problem, file=sys.stderr)
        return 2
    passed = asyncio.run(
        main(names, seed, args.out, Pace(rate_per_s=args.rate, direct=args.direct))
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(cli())
