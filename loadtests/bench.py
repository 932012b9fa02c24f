"""`make bench`: the saga benchmark on the local stack; prints and writes build/bench/saga.json.

Figures: completed sagas per second over the sending window plus drain, accept→CONFIRMED
latency percentiles, Kafka events per minute (records appended to the event topics during the
run), oversold units, lost orders, double charges, and each workload process's peak RSS (VmHWM).
Targets on a 2-core laptop: 100 orders/s, p99 confirmation < 2 s (aim 500 ms), 36,000
events/min, and zero oversold, lost and double-charged.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from rich.console import Console

from loadtests.saga import Outcome, Plan, drive
from operators.local.stack import LocalStack
from operators.paths import REPO_ROOT
from workloads.contracts.topics import DLQ_SUFFIX, TOPICS

console = Console()


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


async def _integrity(stack: LocalStack, outcome: Outcome, plan: Plan) -> dict[str, int]:
    order_db = await asyncpg.connect(stack.postgres.dsn("order"))
    payment_db = await asyncpg.connect(stack.postgres.dsn("payment"))
    inventory_db = await asyncpg.connect(stack.postgres.dsn("inventory"))
    try:
        sold = await order_db.fetch(
            "SELECT line->>'product_id' AS product, sum((line->>'quantity')::int) AS units"
            " FROM orders, jsonb_array_elements(snapshot->'lines') AS line"
            " WHERE order_id = ANY($1) AND status = 'CONFIRMED' GROUP BY 1",
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


async def run(plan: Plan) -> dict[str, Any]:
    stack = LocalStack()
    before = await _event_count(stack)
    with console.status("benchmark starting…") as status:
        outcome = await drive(stack, plan, status.update)
    events = await _event_count(stack) - before
    minutes = (outcome.send_seconds + outcome.drain_seconds) / 60
    completed = sum(outcome.counts.get(s, 0) for s in ("CONFIRMED", "CANCELLED"))
    result: dict[str, Any] = {
        "orders_sent": plan.orders,
        "target_rate_per_s": plan.rate_per_s,
        "accepted": len(outcome.accepted),
        "rejected": outcome.rejected,
        "confirmed": outcome.counts.get("CONFIRMED", 0),
        "cancelled": outcome.counts.get("CANCELLED", 0),
        "orders_per_second": round(completed / (minutes * 60), 1),
        "p50_confirm_ms": outcome.percentile("CONFIRMED", 0.5),
        "p95_confirm_ms": outcome.percentile("CONFIRMED", 0.95),
        "p99_confirm_ms": outcome.percentile("CONFIRMED", 0.99),
        "events_per_minute": round(events / minutes),
        "lost": outcome.lost,
        **await _integrity(stack, outcome, plan),
        "peak_rss_mb": _peak_rss_mb(stack),
        "send_seconds": round(outcome.send_seconds, 1),
        "drain_seconds": round(outcome.drain_seconds, 1),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument(
        "--products",
        type=int,
        default=50,
        help="distinct products ordered (few products = hot rows = serialised reservations)",
    )
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build" / "bench" / "saga.json")
    args = parser.parse_args()
    plan = Plan(orders=int(args.seconds * args.rate), rate_per_s=args.rate, max_in_flight=128,
                products=args.products, drain_timeout_s=120)  # fmt: skip
    result = asyncio.run(run(plan))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    console.print_json(data=result)
    console.print(f"written to {args.out}")


if __name__ == "__main__":
    main()
