"""`make bench-browse`: 1,000 people browsing the catalog through the gateway, RUNS times.

Each run is the `browse` Locust scenario (search, category pages and their next page, product
details; 1-5 s think times; anonymous, each user from a loopback address of its own) against the
running local stack's gateway (seeded with 2,000 products by `make bench-browse`), from one
Locust process (FastHttpUser: 1,000 readers are about 330 requests/s; `--workers N` spreads them
over a master and N workers), users started 100 a second (a herd of 1,000 at once fills the
gateway's bulkheads). Per run:
p50 and p99 over every HTTP request made once all the users are running (Locust's aggregate,
statistics reset when spawning completes: the figures are those of 1,000 concurrent users, not
of the ten-second herd arriving; `--include-ramp-up` measures from the first request instead),
requests per second and the failed requests (`errors`) over the whole run, ramp-up included
(`ramp_up` says how many of each it made), the catalog's cache hit ratio over the run's window
(Prometheus); `--trace-sample-ratio R` first restarts the workloads with that share of traces
kept (a copy of the pipeline, as `make bench` does; recorded as `trace_sample_ratio`); the
headline is the median over the runs, with the spread, each run, the targets (p99 under
100 ms, hit ratio at least 95 %, no error) and whether the medians meet them, and where the
figures come from (loadtests/machine.py). Written to `build/bench/browse.json`; exits 1 when a
target is missed, 2 when a run could not be made.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from loadtests.bench import sample_ratio, with_sampling
from loadtests.figures import aggregate
from loadtests.load import stats
from loadtests.load.process import LocustError
from loadtests.load.runner import Options, ramp_file, run_scenario
from loadtests.machine import provenance
from loadtests.scenarios.registry import scenario
from operators.diagnostics.prometheus import PrometheusError
from operators.local.stack import LocalStack
from operators.paths import REPO_ROOT

console = Console()
OUT = REPO_ROOT / "build" / "bench" / "browse.json"
TARGETS = {"p99_ms": 100.0, "cache_hit_ratio": 0.95, "errors": 0}


def figures(result: dict[str, Any], prefix: Path, duration_s: float) -> dict[str, Any]:
    """One run's headline figures from its result and Locust's stats (`<prefix>_stats.csv`);
    with a ramp-up file (a steady-state run), its requests and failures are added back."""
    found = stats.read(prefix)
    every = stats.total(found)
    ramp_path = ramp_file(prefix)
    ramp = json.loads(ramp_path.read_text()) if ramp_path.exists() else None
    requests, errors = result["requests"], result["failures"]
    if ramp is not None:
        requests, errors = requests + ramp["requests"], errors + ramp["failures"]
    return {
        "p50_ms": every.p50_ms if every else None,
        "p99_ms": every.p99_ms if every else None,
        "requests": requests,
        "requests_per_second": round(requests / duration_s, 1),
        "cache_hit_ratio": result["cache_hit_ratio"],
        "errors": errors,
        "ramp_up": ramp,
    }


def met(headline: dict[str, Any]) -> dict[str, bool]:
    p99, hits = headline.get("p99_ms"), headline.get("cache_hit_ratio")
    return {
        "p99_ms": p99 is not None and p99 < TARGETS["p99_ms"],
        "cache_hit_ratio": hits is not None and hits >= TARGETS["cache_hit_ratio"],
        "errors": headline.get("errors") == TARGETS["errors"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per run")
    parser.add_argument("--workers", type=int, default=0, help="Locust workers (0: one process)")
    parser.add_argument("--spawn-rate", type=float, default=100.0, help="users started a second")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--trace-sample-ratio",
        type=float,
        default=None,
        help="first restart the workloads with this spec.tracing.sampleRatio (a pipeline copy)",
    )
    parser.add_argument(
        "--include-ramp-up",
        action="store_true",
        help="latency figures from the first request, the users' arrival included",
    )
    args = parser.parse_args()
    settings = with_sampling(args.trace_sample_ratio, args.out.parent / "pipeline-browse.yaml")
    stack = LocalStack(settings)
    if args.trace_sample_ratio is not None:
        # `up` restarts exactly the workloads whose environment (the sampler) changed; the data
        # and the seeded catalog stay. `make up` later puts the pipeline's own ratio back.
        console.print(f"restarting the workloads with trace sample ratio {args.trace_sample_ratio}")
        stack.up(console)
    out_dir = args.out.parent / "browse-locust"
    runs: list[dict[str, Any]] = []
    try:
        with console.status("starting…") as status:
            for n in range(1, args.runs + 1):
                options = Options(users=args.users, rate=1.0, duration_s=args.duration,
                                  workers=args.workers, out_dir=out_dir,
                                  spawn_rate=args.spawn_rate,
                                  steady_only=not args.include_ramp_up)  # fmt: skip
                label = f"run {n}/{args.runs}"

                def progress(line: str, label: str = label) -> None:
                    status.update(f"{label}: {line}")

                result = run_scenario(scenario("browse"), options, stack=stack, progress=progress)
                runs.append(figures(result, out_dir / "browse", args.duration))
                console.print(f"run {n}: {runs[-1]}")
    except (LocustError, PrometheusError, OSError, TimeoutError) as exc:
        console.print(f"[bold red]the benchmark could not be made:[/] {exc}", highlight=False)
        console.print("is the stack up? `conveyor local status` shows it, `make up` starts it")
        sys.exit(2)
    headline, spread = aggregate(runs)
    ratios = [r["cache_hit_ratio"] for r in runs if r["cache_hit_ratio"] is not None]
    if ratios:  # a ratio keeps four places (the aggregate rounds figures to 0.1)
        headline["cache_hit_ratio"] = round(statistics.median(ratios), 4)
        spread["cache_hit_ratio"] = {"min": min(ratios), "max": max(ratios)}
    verdict = met(headline)
    report = {
        **provenance(),
        "command": " ".join(sys.argv),
        "through": stack.workloads.url("gateway"),
        "trace_sample_ratio": sample_ratio(settings.pipeline),
        "load": {
            "users": args.users,
            "duration_s": args.duration,
            "workers": args.workers,
            "latency_from": "first request" if args.include_ramp_up else "every user started",
        },
        **headline,
        "spread": spread,
        "runs": runs,
        "targets": TARGETS,
        "met": verdict,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"medians of {len(runs)}: {headline}; targets met: {verdict}")
    console.print(f"written: {args.out}")
    if not all(verdict.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
