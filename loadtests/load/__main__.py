"""`python -m loadtests.load --scenario NAME` (`make load SCENARIO=NAME`): run, print, judge.

Exits 1 when the verdict fails (each breach printed with its SLO and by how much), 2 when the
run could not be made (the stack is down, Locust failed), with the command that shows why.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from loadtests.load.process import LocustError
from loadtests.load.report import print_result
from loadtests.load.runner import OUT_DIR, Options, run_scenario, write
from loadtests.scenarios.registry import SCENARIOS, scenario
from operators.diagnostics.prometheus import PrometheusError

console = Console()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    parser.add_argument("--users", type=int, help="concurrent users (default: the scenario's)")
    parser.add_argument("--rate", type=float, help="orders per second at normal load")
    parser.add_argument("--duration", type=float, help="seconds")
    parser.add_argument("--host", help="the gateway's URL (default: the local stack's gateway)")
    parser.add_argument("--direct", action="store_true", help="bypass the gateway (to compare)")
    parser.add_argument("--workers", type=int, default=0, help="Locust workers (0: one process)")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    chosen = scenario(args.scenario)
    options = Options(
        users=args.users or chosen.users,
        rate=args.rate or chosen.rate,
        duration_s=args.duration or chosen.duration_s,
        host=args.host or None,
        direct=args.direct,
        workers=args.workers,
        out_dir=args.out_dir,
    )
    try:
        with console.status(f"{chosen.name}: starting…") as status:
            result = run_scenario(chosen, options, progress=status.update)
    except (LocustError, PrometheusError, OSError, TimeoutError) as exc:
        console.print(f"[bold red]the run could not be made:[/] {exc}", highlight=False)
        console.print("is the stack up? `conveyor local status` shows it, `make up` starts it")
        sys.exit(2)
    path = write(result, args.out_dir)
    print_result(console, result)
    pages = [result["report"]["html"], result["report"].get("memory")]
    console.print(f"written: {path}, {', '.join(p for p in pages if p)}")
    if not result["verdict"]["passed"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
