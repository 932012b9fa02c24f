"""The saga driver of `make bench` and `make chaos` orders through the gateway, as customers.

A smoke run (a few seconds at a modest rate, correctness only, no timing assertion): every
accepted order went through the gateway (its upstream counter for the order service rose by at
least as many successful calls) and belongs to a customer that signed up at identity through it
(the order's `customer_id` is a user id there, with the benchmark's e-mail prefix); none is lost,
oversold or charged twice. The figures say which path they measured.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from loadtests.run import run
from loadtests.saga import Plan, drive
from operators.local.stack import LocalStack

PLAN = Plan(orders=30, rate_per_s=6.0, products=3, drain_timeout_s=90)


async def fetch(dsn: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


def _orders_through_gateway(stack: LocalStack) -> float:
    """Successful calls the gateway made to the order service so far (its /metrics)."""
    text = httpx.get(f"{stack.workloads.url('gateway')}/metrics", timeout=5).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "conveyor_gateway_upstream_calls_total"
        and sample.labels == {"upstream": "order", "outcome": "ok"}
    )


async def test_orders_go_through_the_gateway_as_signed_in_customers(stack: LocalStack) -> None:
    before = _orders_through_gateway(stack)
    outcome = await drive(stack, PLAN, lambda _: None)
    assert outcome.accepted, f"no order accepted: {outcome.refused}"
    assert outcome.lost == 0, f"{outcome.lost} orders never ended"
    assert _orders_through_gateway(stack) - before >= len(outcome.accepted)
    customers = await fetch(
        stack.postgres.dsn("order"),
        "SELECT DISTINCT customer_id FROM orders WHERE order_id = ANY($1)",
        outcome.accepted,
    )
    ids = [r["customer_id"] for r in customers]
    users = await fetch(
        stack.postgres.dsn("identity"),
        "SELECT email FROM users WHERE user_id::text = ANY($1)",
        ids,
    )
    assert len(users) == len(ids), f"orders of customers identity does not know: {ids}"
    assert all(u["email"].startswith("load-bench-") for u in users), users


async def test_the_figures_name_the_path_and_keep_the_books(stack: LocalStack) -> None:
    figures = await run(stack, PLAN, lambda _: None)
    assert figures["path"] == "gateway"
    assert figures["orders_url"] == f"{stack.workloads.url('gateway')}/v1/orders"
    assert figures["accepted"] > 0, figures["refused"]
    assert (figures["lost"], figures["oversold"], figures["duplicates_charged"]) == (0, 0, 0)
    assert "gateway-0" in figures["cpu_seconds_per_1000_orders"]
    # Each order is at least BEGIN, the idempotency claim, the save and COMMIT at the order service.
    statements = figures["postgres_statements_per_order"]
    assert statements.get("order", 0) >= 4, statements
    assert statements["all"] >= statements["order"] + statements.get("payment", 0)
