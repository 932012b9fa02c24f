"""The gated load run of `make test`: browse and checkout through the gateway, judged by the SLOs.

About a minute together. The offered load is modest on purpose: 4 orders/s (~120 orders, so the
99 % latency objective allows one slow saga) and 20 readers with 1-5 s think times. By the
measured CPU per 1,000 orders (docs/benchmarks.md, ~17 CPU s over services, PostgreSQL and
Kafka) 4 orders/s is under a tenth of one core, so a busy 2-core CI machine passes unless
something is really wrong; the verdict is Prometheus' over the run's window plus no lost order.
Every request goes through the gateway, as a customer's would: each buyer signs up and logs in
once, from a loopback address of its own (loadtests/scenarios/sources.py, ADR 0041). The
two-worker run is churn: admins log in as the run's admin
accounts and write stock through the gateway, and every session renews its access token
(the renewal margin set near the token's life, so it happens within seconds, not minutes).
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

ACCESS_TOKEN_TTL_S = 300  # identity's default


def _breaches(result: dict[str, object]) -> list[str]:
    verdict = result["verdict"]
    assert isinstance(verdict, dict)
    return [f"{c['name']}: {c['detail']}" for c in verdict["checks"] if not c["passed"]]


def _rows(stats: Path) -> dict[str, dict[str, str]]:
    with stats.open() as found:
        return {row["Name"]: row for row in csv.DictReader(found)}


def test_browse_and_checkout_through_the_gateway_meet_every_slo_and_lose_no_order(
    stack: LocalStack, tmp_path: Path
) -> None:
    asyncio.run(seed(stack, generate(300, 7)))
    browse = run_scenario(
        scenario("browse"),
        Options(users=20, rate=1.0, duration_s=25, out_dir=tmp_path),
        progress=lambda _: None,
        stack=stack,
    )
    assert browse["load"]["through_gateway"] is True
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
    logins = _rows(tmp_path / "checkout_stats.csv")["login"]
    assert (logins["Request Count"], logins["Failure Count"]) == ("8", "0"), "one login a buyer"
    assert (tmp_path / "checkout.html").exists()


def test_churn_on_a_master_and_two_workers_writes_as_admins_and_renews_tokens(
    stack: LocalStack, tmp_path: Path
) -> None:
    result = run_scenario(
        scenario("churn"),
        Options(users=6, rate=2.0, duration_s=15, workers=2, out_dir=tmp_path,
                refresh_margin_s=ACCESS_TOKEN_TTL_S - 5),
        progress=lambda _: None,
        stack=stack,
    )  # fmt: skip
    assert result["locust_workers_connected"] == 2
    orders = result["orders"]
    assert isinstance(orders, dict)
    assert orders["accepted"] > 0
    assert orders["lost"] == 0
    rows = _rows(tmp_path / "churn_stats.csv")
    writes = [rows[n] for n in ("/v1/admin/inventory/{id}", "/v1/products/{id} (PUT)") if n in rows]
    assert sum(int(w["Request Count"]) for w in writes) > 0, "no admin wrote through the gateway"
    renewals = rows.get("refresh", {"Request Count": "0", "Failure Count": "0"})
    assert int(renewals["Request Count"]) > 0, "no session renewed its token"
    assert renewals["Failure Count"] == "0"
    assert rows["Aggregated"]["Failure Count"] == "0"
