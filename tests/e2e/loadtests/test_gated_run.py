"""The gated load run of `make test`: browse and checkout on the local stack, judged by the SLOs.

About a minute together. The offered load is modest on purpose: 4 orders/s (~120 orders, so the
99 % latency objective allows one slow saga) and 20 readers with 1-5 s think times. By the
measured CPU per 1,000 orders (docs/benchmarks.md, ~17 CPU s over services, PostgreSQL and
Kafka) 4 orders/s is under a tenth of one core, so a busy 2-core CI machine passes unless
something is really wrong; the verdict is Prometheus' over the run's window plus no lost order.
"""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

from loadtests.load.runner import Options, run_scenario
from loadtests.scenarios.registry import scenario
from operators.cli.catalog import seed
from operators.local.stack import LocalStack
from workloads.catalog.seeding import generate


def _breaches(result: dict[str, object]) -> list[str]:
    verdict = result["verdict"]
    assert isinstance(verdict, dict)
    return [f"{c['name']}: {c['detail']}" for c in verdict["checks"] if not c["passed"]]


def test_browse_and_checkout_meet_every_slo_and_lose_no_order(
    stack: LocalStack, tmp_path: Path
) -> None:
    asyncio.run(seed(stack, generate(300, 7)))
    browse = run_scenario(
        scenario("browse"),
        Options(users=20, rate=1.0, duration_s=25, out_dir=tmp_path),
        progress=lambda _: None,
        stack=stack,
    )
    assert browse["requests"] > 0, "no request reached the catalog"
    assert _breaches(browse) == []
    checkout = run_scenario(
        scenario("checkout"),
        Options(users=8, rate=4.0, duration_s=30, out_dir=tmp_path),
        progress=lambda _: None,
        stack=stack,
    )
    orders = checkout["orders"]
    assert isinstance(orders, dict)
    assert orders["accepted"] > 0, "no order was accepted"
    assert _breaches(checkout) == []
    assert (tmp_path / "checkout.html").exists()
    assert (tmp_path / "checkout_stats.csv").exists()


def test_a_master_and_two_workers_share_one_run(stack: LocalStack, tmp_path: Path) -> None:
    result = run_scenario(
        scenario("checkout"),
        Options(users=4, rate=2.0, duration_s=15, workers=2, out_dir=tmp_path),
        progress=lambda _: None,
        stack=stack,
    )
    assert result["locust_workers_connected"] == 2
    orders = result["orders"]
    assert isinstance(orders, dict)
    assert orders["accepted"] > 0
    assert orders["lost"] == 0


def test_checkout_through_the_gateway_logs_in_once_per_user_and_loses_no_order(
    stack: LocalStack, tmp_path: Path
) -> None:
    result = run_scenario(
        scenario("checkout"),
        Options(users=4, rate=2.0, duration_s=15, out_dir=tmp_path,
                host=stack.workloads.url("gateway")),
        progress=lambda _: None,
        stack=stack,
    )  # fmt: skip
    orders = result["orders"]
    assert isinstance(orders, dict)
    assert orders["accepted"] > 0, "no order was accepted through the gateway"
    assert orders["lost"] == 0
    assert _breaches(result) == []
    with (tmp_path / "checkout_stats.csv").open() as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    assert rows["login"]["Request Count"] == "4", "one login per user, not per request"
    assert rows["login"]["Failure Count"] == "0"
