"""One measured run of the saga benchmark on a running local stack: its figures as a dict.

Figures: completed sagas per second over the sending window plus drain, accept→CONFIRMED latency
percentiles, Kafka events per minute (records appended to the event topics during the run),
PostgreSQL commits in the services' databases (pg_stat_database.xact_commit, which backends flush
up to about a second late), statements per accepted order in each of them (the round trips counted
by pg_stat_statements, BEGIN and COMMIT included), oversold units, lost orders, double charges,
each workload replica's peak RSS (VmHWM), and CPU seconds per 1,000 accepted orders of every
process of the stack (the gateway's replicas among them) and of the driver (loadtests/cpu.py),
counted from the first order sent to the last saga finished: stocking the products and signing the
customers in (two argon2 hashes each, at identity) come before and are not counted. `path` says
which way the orders went (`gateway`, or `direct` to the order service; loadtests/customers.py),
`orders_url` where, and `refused` counts the orders not accepted by their answer (a status or an
error).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from loadtests import cpu
from loadtests.saga import Outcome, Plan, Progress, drain, prepared, send
from operators.local.stack import LocalStack
from workloads.contracts.topics import DLQ_SUFFIX, TOPICS


async def _event_count(stack: LocalStack) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.kafka.bootstrap_servers)
    await consumer.start()
    try:
        tps = [
            TopicPartition(t.name, p)
            for t in TOPICS if not t.name.endswith(DLQ_SUFFIX)
            for p in range(t.partitions)
        ]  # fmt: skip
        return sum((await consumer.end_offsets(tps)).values())
    finally:
        await consumer.stop()


async def _commits(stack: LocalStack) -> int:
    """Transactions committed so far in the services' databases (pg_stat_database)."""
    conn = await asyncpg.connect(stack.postgres.admin_dsn())
    try:
        value = await conn.fetchval(
            "SELECT coalesce(sum(xact_commit), 0) FROM pg_stat_database"
            " WHERE datname LIKE 'conveyor\\_%'"
        )
    finally:
        await conn.close()
    return int(value)


async def _statements(stack: LocalStack) -> dict[str, int]:
    """Top-level statements run so far in each service database, by workload (pg_stat_statements).

    BEGIN and COMMIT count, statements a trigger runs do not: each count is the round trips the
    service made. A database nobody has used yet is absent (zero). A server started before it
    preloaded the extension cannot count: that is an error naming the restart that fixes it.
    """
    conn = await asyncpg.connect(stack.postgres.admin_dsn())
    try:
        rows = await conn.fetch(
            "SELECT d.datname, sum(s.calls)::bigint AS calls FROM pg_stat_statements s"
            " JOIN pg_database d ON d.oid = s.dbid WHERE d.datname LIKE 'conveyor\\_%'"
            " GROUP BY d.datname"
        )
    except asyncpg.ObjectNotInPrerequisiteStateError as exc:  # not in shared_preload_libraries
        raise RuntimeError(
            "PostgreSQL was started without pg_stat_statements; restart the stack"
            " (`conveyor local down && make up`)"
        ) from exc
    finally:
        await conn.close()
    return {row["datname"].removeprefix("conveyor_"): int(row["calls"]) for row in rows}


def per_order(before: dict[str, int], after: dict[str, int], orders: int) -> dict[str, float]:
    """Statements per accepted order in each database over the run, and `all` of them."""
    if orders <= 0:
        return {}
    ran = {name: after[name] - before.get(name, 0) for name in after}
    figures = {name: round(count / orders, 1) for name, count in sorted(ran.items()) if count}
    return figures | {"all": round(sum(ran.values()) / orders, 1)}


async def _integrity(stack: LocalStack, outcome: Outcome, plan: Plan) -> dict[str, int]:
    order_db = await asyncpg.connect(stack.postgres.dsn("order"))
    payment_db = await asyncpg.connect(stack.postgres.dsn("payment"))
    inventory_db = await asyncpg.connect(stack.postgres.dsn("inventory"))
    try:
        sold = await order_db.fetch(
            "SELECT line->>'product_id' AS product, sum((line->>'quantity')::int) AS units"
            " FROM orders, jsonb_array_elements(snapshot->'lines') AS line"
            " WHERE order_id = ANY($1) AND status IN ('CONFIRMED', 'SHIPPED') GROUP BY 1",
            outcome.accepted,
        )
        oversold = 0
        for row in sold:
            available = await inventory_db.fetchval(
                "SELECT available FROM products WHERE product_id = $1", row["product"]
            )
            oversold += max(0, row["units"] + available - plan.stock_per_product) + max(
                0, -available
            )
            oversold += max(0, row["units"] - plan.stock_per_product)
        doubled = await payment_db.fetchval(
            "SELECT count(*) FROM (SELECT order_id FROM ledger WHERE kind = 'charge'"
            " AND order_id = ANY($1) GROUP BY order_id HAVING count(*) > 1) d",
            outcome.accepted,
        )
    finally:
        for conn in (order_db, payment_db, inventory_db):
            await conn.close()
    return {"oversold": oversold, "duplicates_charged": int(doubled)}


def _peak_rss_mb(stack: LocalStack) -> dict[str, float]:
    peaks: dict[str, float] = {}
    for replica in stack.workloads.status():
        pid = replica.pid
        if pid is None:
            continue
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks[f"{replica.name}-{replica.replica}"] = round(int(line.split()[1]) / 1024, 1)
    return peaks


def watched(stack: LocalStack) -> cpu.Watched:
    """The stack's processes: servers and replicas as trees, the supervisor alone."""
    trees = {s.name: s.pid for s in stack.status() if s.pid is not None}
    trees |= {f"{r.name}-{r.replica}": r.pid for r in stack.workloads.status() if r.pid is not None}
    supervisor = stack.supervisor.pid()
    return cpu.Watched(trees=trees, alone={} if supervisor is None else {"supervisor": supervisor})


async def run(stack: LocalStack, plan: Plan, progress: Progress) -> dict[str, Any]:
    """Drive one run and read back its figures."""
    async with prepared(stack, plan, progress) as shop:
        before = await _event_count(stack)
        commits_before = await _commits(stack)
        statements_before = await _statements(stack)
        processes = watched(stack)
        cpu_before = cpu.snapshot(processes)
        outcome = await send(shop, plan, progress)
        await drain(stack, plan, outcome, progress)
        cpu_after = cpu.snapshot(processes)
    events = await _event_count(stack) - before
    commits = await _commits(stack) - commits_before
    statements = per_order(statements_before, await _statements(stack), len(outcome.accepted))
    minutes = (outcome.send_seconds + outcome.drain_seconds) / 60
    completed = sum(outcome.counts.get(s, 0) for s in ("CONFIRMED", "CANCELLED"))
    return {
        "path": shop.buyers.path,
        "orders_url": shop.buyers.orders_url,
        "customers": shop.buyers.customers,
        "orders_sent": plan.orders,
        "target_rate_per_s": plan.rate_per_s,
        "accepted": len(outcome.accepted),
        "rejected": outcome.rejected,
        "refused": outcome.refused,
        "confirmed": outcome.counts.get("CONFIRMED", 0),
        "cancelled": outcome.counts.get("CANCELLED", 0),
        "orders_per_second": round(completed / (minutes * 60), 1),
        "p50_confirm_ms": outcome.percentile("CONFIRMED", 0.5),
        "p95_confirm_ms": outcome.percentile("CONFIRMED", 0.95),
        "p99_confirm_ms": outcome.percentile("CONFIRMED", 0.99),
        "events_per_minute": round(events / minutes),
        "kafka_events": events,
        "postgres_commits": commits,
        "postgres_statements_per_order": statements,
        "lost": outcome.lost,
        **await _integrity(stack, outcome, plan),
        "peak_rss_mb": _peak_rss_mb(stack),
        "cpu_seconds_per_1000_orders": cpu.per_thousand(
            cpu_before, cpu_after, len(outcome.accepted)
        ),
        "send_seconds": round(outcome.send_seconds, 1),
        "drain_seconds": round(outcome.drain_seconds, 1),
    }
