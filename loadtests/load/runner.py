"""One load run end to end: prepare, Locust, drain the orders, judge the window, write the JSON.

`run_scenario` is what `make load` (`python -m loadtests.load`) and `conveyor demo` call. Every
request goes through the gateway: `host`, or the local stack's own (`direct=True` calls each
service at its own URL instead, to compare). Through the gateway buyers register and log in as
customers, and admins (churn) log in as admin accounts the runner creates for the run at
identity (`operators/local/accounts.py`) with a password of the run's own; the stack's admin
token stocks the load products and is never given to Locust. Orders are counted in the order
database and the SLOs are read from the local Prometheus over [first request, last order ended].
The result is a plain dict, written to `build/load/<scenario>.json`; its `verdict.passed` is
false on any breached SLO, any lost order, or client-side failures beyond the availability
objective.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from loadtests import cpu, memory, memory_page
from loadtests.load import evidence, outcomes, prepare, process, stats, verdict, window
from loadtests.machine import provenance
from loadtests.run import watched
from loadtests.scenarios.registry import Scenario
from loadtests.scenarios.settings import LoadSettings
from operators.diagnostics.prometheus import PrometheusApi
from operators.local.accounts import create_admin
from operators.local.stack import LocalStack
from operators.paths import REPO_ROOT
from operators.pipeline.slos.files import load as load_slos

OUT_DIR = REPO_ROOT / "build" / "load"
Progress = Callable[[str], None]
SIGN_INS_PER_S = 2.0


class RunnerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONVEYOR_", extra="ignore", frozen=True)

    # Where a distributed run's Locust master listens for its workers (loopback only).
    locust_master_port: int = Field(default=18557, ge=1024, le=65535)


@dataclass(frozen=True)
class Options:
    users: int
    rate: float
    duration_s: float
    host: str | None = None  # the gateway's URL; None: the local stack's gateway
    direct: bool = False  # bypass the gateway: each service at its own URL
    workers: int = 0
    refresh_margin_s: float = 60.0  # renew access tokens this long before they expire
    spawn_rate: float | None = None  # users started per second (default: `_spawn_rate`)
    out_dir: Path = OUT_DIR
    drain_timeout_s: float = 90.0
    # Locust's statistics from once every user has started; the ramp-up's requests and failures
    # go to `<prefix>_ramp.json` (loadtests/scenarios/ramp.py, for scenarios that import it).
    steady_only: bool = False


def _settings(stack: LocalStack, scenario: Scenario, options: Options) -> LoadSettings:
    run_id = f"{scenario.name.replace('_', '-')[:12]}-{secrets.token_hex(3)}"
    gateway = None if options.direct else options.host or stack.workloads.url("gateway")
    return LoadSettings(
        gateway_url=gateway,
        catalog_url=stack.workloads.url("catalog"),
        order_url=stack.workloads.url("order"),
        inventory_url=stack.workloads.url("inventory"),
        admin_token=SecretStr("" if gateway else stack.admin_token()),
        admins=scenario.admins(options.users) if gateway else 0,
        password=SecretStr(secrets.token_urlsafe(18)),
        refresh_margin_s=options.refresh_margin_s,
        rate=options.rate,
        users=options.users,
        buyers=scenario.buyers(options.users),
        run_id=run_id,
        hot_products=scenario.hot_products,
    )


async def _admins(stack: LocalStack, settings: LoadSettings) -> None:
    """The run's admin accounts, at identity with the stack's admin token."""
    async with httpx.AsyncClient(timeout=30) as http:
        for k in range(settings.admins):
            await create_admin(
                http, identity_url=stack.workloads.url("identity"),
                admin_token=stack.admin_token(), email=settings.admin_email(k),
                password=settings.password.get_secret_value(),
            )  # fmt: skip


def _env(settings: LoadSettings, duration_s: float) -> dict[str, str]:
    env = {"CONVEYOR_LOAD_DURATION_S": f"{duration_s:g}"}
    for key, value in settings.model_dump().items():
        if value is None:
            continue
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        env[f"CONVEYOR_LOAD_{key.upper()}"] = text
    return env


def ramp_file(prefix: Path) -> Path:
    """Where a steady-state run keeps its ramp-up's figures (loadtests/scenarios/ramp.py)."""
    return prefix.with_name(f"{prefix.name}_ramp.json")


def _ramp_file(prefix: Path, options: Options) -> dict[str, str]:
    if not options.steady_only:
        return {}
    ramp_file(prefix).unlink(missing_ok=True)  # never a previous run's
    return {"CONVEYOR_LOAD_RAMP_FILE": str(ramp_file(prefix))}


def _spawn_rate(scenario: Scenario, options: Options, settings: LoadSettings) -> float:
    """Users started per second: half the users, but at most `SIGN_INS_PER_S` when each signs
    in through the gateway (a sign-up and a login are two deliberately slow password hashes)."""
    if options.spawn_rate is not None:
        return options.spawn_rate
    rate = max(1.0, options.users / 2)
    signs_in = settings.gateway_url and (scenario.buyer_share or scenario.admin_share)
    return min(rate, SIGN_INS_PER_S) if signs_in else rate


def live_line(prefix: Path, elapsed: float, duration: float) -> str:
    found = stats.read(prefix)
    http = stats.http_only(found)
    requests = sum(e.requests for e in http)
    failures = sum(e.failures for e in http)
    rate = sum(e.requests_per_s for e in http)
    sagas = stats.sagas(found)
    ended = ", ".join(f"{n.split('→ ')[-1]} {e.requests}" for n, e in sorted(sagas.items()))
    orders = next((e.requests for e in http if e.name == "/v1/orders"), 0)
    line = (
        f"{elapsed:.0f}/{duration:.0f} s · {requests:,} requests ({rate:.0f}/s), {failures} failed"
    )
    return line + (f" · orders {orders:,} placed, {ended}" if orders else "")


def run_scenario(
    scenario: Scenario, options: Options, *, progress: Progress, stack: LocalStack | None = None
) -> dict[str, Any]:
    stack = stack or LocalStack()
    settings = _settings(stack, scenario, options)
    order_dsn = stack.postgres.dsn("order")
    progress("stocking the load products…")
    asyncio.run(prepare.stock(settings, admin_token=stack.admin_token(), order_dsn=order_dsn))
    asyncio.run(_admins(stack, settings))
    processes = watched(stack)
    cpu_before = cpu.snapshot(processes)
    pss_before = memory.snapshot(processes.trees, processes.alone)
    dlq_before = asyncio.run(evidence.dead_letters(stack.kafka.bootstrap_servers))
    prefix = options.out_dir / scenario.name
    samples: list[memory.Sample] = [(0.0, pss_before)]

    def tick(elapsed: float) -> None:
        progress(live_line(prefix, elapsed, options.duration_s))
        if scenario.sample_memory and elapsed - samples[-1][0] >= 60:  # noqa: PLR2004
            samples.append((elapsed, memory.snapshot(processes.trees, processes.alone)))

    plan = process.LocustRun(
        locustfile=scenario.path, users=options.users,
        spawn_rate=_spawn_rate(scenario, options, settings), duration_s=options.duration_s,
        host=settings.url("catalog"), prefix=prefix,
        env=_env(settings, options.duration_s) | _ramp_file(prefix, options),
        workers=options.workers, master_port=RunnerSettings().locust_master_port,
        reset_stats=options.steady_only,
    )  # fmt: skip
    start = time.time()
    process.run(plan, progress=tick)

    def drained(orders: outcomes.Orders) -> None:
        progress(f"following the orders: {orders.to_dict()}")

    ids = (
        asyncio.run(outcomes.customers(stack.postgres.dsn("identity"), settings.customer_prefix))
        if settings.gateway_url
        else []
    )
    orders = asyncio.run(
        outcomes.drain(order_dsn, settings.customer_prefix, timeout_s=options.drain_timeout_s,
                       progress=drained, ids=ids)
    )  # fmt: skip
    end = time.time()
    cpu_after = cpu.snapshot(processes)
    pss_after = memory.snapshot(processes.trees, processes.alone)
    samples.append((end - start, pss_after))
    trends = memory.trends(samples) if scenario.sample_memory else None
    progress("reading the window from Prometheus…")
    api = PrometheusApi(f"http://{stack.prometheus.address}")
    try:
        read_at = window.settled(api, end)
        specs = list(load_slos().values())
        measured = window.measure_all(api, specs, start, read_at)
        hits = evidence.cache_hit_ratio(api, start, read_at)
    finally:
        api.close()
    dlq_after = asyncio.run(evidence.dead_letters(stack.kafka.bootstrap_servers))
    found = stats.read(prefix)
    http = stats.http_only(found)
    requests = sum(e.requests for e in http)
    failures = sum(e.failures for e in http)
    checks = verdict.slo_checks(specs, measured)
    availability = next(
        (c.objective_percent for c in checks if c.name.endswith("http-availability")), 99.9
    )
    checks.append(verdict.failures_check(failures, requests, objective=availability or 99.9))
    if scenario.buyer_share:
        checks.append(verdict.lost_check(orders.lost, orders.accepted))
    seconds = evidence.cpu_delta(cpu_before, cpu_after)
    seconds.pop("driver", None)
    return {
        **provenance(),
        "scenario": scenario.name,
        "run_id": settings.run_id,
        "load": {"users": options.users, "rate_per_s": options.rate,
                 "duration_s": options.duration_s, "workers": options.workers,
                 "hot_products": scenario.hot_products,
                 "through_gateway": settings.gateway_url is not None,
                 "targets": {s: settings.url(s) for s in ("catalog", "order", "inventory")}},
        "locust_workers_connected": process.workers_connected(Path(f"{prefix}.log").read_text()),
        "window": {"start": round(start, 3), "end": round(read_at, 3)},
        "requests": requests,
        "failures": failures,
        "requests_per_second": round(requests / max(end - start, 1e-9), 1),
        "endpoints": [e.to_dict() for e in found if e.name != "Aggregated"],
        "orders": orders.to_dict(),
        "example_order_id": asyncio.run(outcomes.example(order_dsn, settings.customer_prefix, ids)),
        "orders_per_second": round(orders.accepted / options.duration_s, 2),
        "cache_hit_ratio": hits,
        "dead_letters": {"during_run": dlq_after - dlq_before, "total": dlq_after},
        "cpu_seconds": seconds,
        "cpu_seconds_per_1000_orders": evidence.per_thousand(seconds, orders.accepted),
        "cpu_seconds_per_1000_requests": evidence.per_thousand(seconds, requests),
        "memory_pss_mib": {k: round(v / 2**20, 1) for k, v in sorted(pss_after.items())},
        "memory_pss_total_mib": round(sum(pss_after.values()) / 2**20, 1),
        "memory_growth_mib_per_hour": {n: t["mib_per_hour"] for n, t in trends.items()}
        if trends is not None else None,
        "memory_trend": trends,
        "memory_samples": [{"t_s": round(t, 1), "pss_mib": {k: round(v / 2**20, 1)
                            for k, v in sorted(found.items())}} for t, found in samples]
        if scenario.sample_memory else None,
        "verdict": {"passed": verdict.passed(checks), "checks": [c.to_dict() for c in checks]},
        "report": {"html": f"{prefix}.html", "csv": f"{prefix}_stats.csv"},
    }  # fmt: skip


def write(result: dict[str, Any], out_dir: Path = OUT_DIR) -> Path:
    """`<scenario>.json`, and `<scenario>-memory.html` when the run sampled memory."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if result.get("memory_samples") and result.get("memory_trend"):
        samples: list[memory.Sample] = [
            (s["t_s"], {k: int(v * 2**20) for k, v in s["pss_mib"].items()})
            for s in result["memory_samples"]
        ]
        page = out_dir / f"{result['scenario']}-memory.html"
        page.write_text(
            memory_page.render(
                result["scenario"], samples, result["memory_trend"], start=result["window"]["start"]
            )
        )
        result["report"]["memory"] = str(page)
    path = out_dir / f"{result['scenario']}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path
