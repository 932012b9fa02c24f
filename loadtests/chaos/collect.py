"""Read a scenario's evidence back: the services' databases and the fake provider's ledger.

Runs after the load stopped and every accepted order is terminal (or the wait gave up), so what
it reads is what the invariants judge. Timestamps are read as epoch seconds of the database's
clock, the same machine clock the driver's time.time() reads. The provider's ledger is read over
its HTTP API (the audit that can fail: it counts every charge it made, with no "one per order"
rule), in batches so no URL grows long.
"""

from __future__ import annotations

import json
from collections import defaultdict

import asyncpg
import httpx

from loadtests.chaos.evidence import Effects, Evidence, OrderRecord, ProductStock, ProviderAccount
from loadtests.chaos.load import Attempt
from loadtests.chaos.scenario import FaultWindow
from operators.local.stack import LocalStack

BATCH = 100
# The events that end a saga: an order is terminal from the first of them. Not `updated_at`: a
# CONFIRMED order turns SHIPPED later (its fulfilment, after the saga), which would count the
# shipping backlog in "time to recover" (after a 60 s broker outage, seconds of it).
TERMINAL_EVENTS = ("OrderConfirmed", "OrderCancelled")


async def orders(
    stack: LocalStack, accepted: list[Attempt], products: list[str]
) -> list[OrderRecord]:
    """The accepted orders, and those the service created but whose 202 never reached the driver
    (the answer lost when a process died): they sold stock too, so the books must include them."""
    when = {a.order_id: a.answered_at for a in accepted if a.order_id is not None}
    conn = await asyncpg.connect(stack.postgres.dsn("order"))
    try:
        rows = await conn.fetch(
            "SELECT order_id, status, total_cents, snapshot->>'cancel_reason' AS reason,"
            " extract(epoch FROM created_at)::float8 AS created, (SELECT extract(epoch FROM"
            "  min(e.occurred_at))::float8 FROM order_events e WHERE e.order_id = orders.order_id"
            "  AND e.event_type = ANY($3)) AS terminal_at, snapshot->'lines' AS lines"
            " FROM orders WHERE order_id = ANY($1) OR EXISTS (SELECT 1 FROM"
            " jsonb_array_elements(snapshot->'lines') l WHERE l->>'product_id' = ANY($2))",
            list(when),
            products,
            list(TERMINAL_EVENTS),
        )
    finally:
        await conn.close()
    found = {r["order_id"]: r for r in rows}
    when |= {o: r["created"] for o, r in found.items() if o not in when}
    records = []
    for order_id, accepted_at in when.items():
        row = found.get(order_id)
        if row is None:
            records.append(OrderRecord(order_id, accepted_at, None))
            continue
        record = OrderRecord(
            order_id,
            accepted_at,
            row["status"],
            row["total_cents"],
            row["reason"],
            lines=tuple((x["product_id"], int(x["quantity"])) for x in json.loads(row["lines"])),
        )
        if record.terminal:
            record = OrderRecord(**{**vars(record), "terminal_at": row["terminal_at"]})
        records.append(record)
    return records


async def stock(stack: LocalStack, initial: dict[str, int]) -> list[ProductStock]:
    conn = await asyncpg.connect(stack.postgres.dsn("inventory"))
    try:
        rows = await conn.fetch(
            "SELECT p.product_id, p.available,"
            " coalesce(sum(r.quantity) FILTER (WHERE r.status = 'held'), 0) AS held,"
            " coalesce(sum(r.quantity) FILTER (WHERE r.status = 'committed'), 0) AS committed"
            " FROM products p LEFT JOIN reservations r USING (product_id)"
            " WHERE p.product_id = ANY($1) GROUP BY p.product_id, p.available",
            list(initial),
        )
    finally:
        await conn.close()
    return [
        ProductStock(r["product_id"], initial[r["product_id"]], r["available"], r["held"],
                     r["committed"])
        for r in rows
    ]  # fmt: skip


async def provider(stack: LocalStack, order_ids: list[str]) -> dict[str, ProviderAccount]:
    accounts: dict[str, ProviderAccount] = {}
    async with httpx.AsyncClient(base_url=stack.payment_provider.url, timeout=30) as http:
        for start in range(0, len(order_ids), BATCH):
            batch = order_ids[start : start + BATCH]
            response = await http.get("/v1/ledger", params=[("order_id", o) for o in batch])
            response.raise_for_status()
            for order_id, entry in response.json()["orders"].items():
                accounts[order_id] = ProviderAccount(
                    entry["charges"], entry["charged_cents"], entry["refunds"],
                    entry["refunded_cents"],
                )  # fmt: skip
    return accounts


async def effects(stack: LocalStack, order_ids: list[str]) -> Effects:
    history: dict[str, dict[str, int]] = defaultdict(dict)
    reservations: dict[str, dict[str, int]] = defaultdict(dict)
    notifications: dict[str, tuple[str, ...]] = {}
    for database, query, into in (
        ("order", "SELECT order_id, event_type AS k, count(*) AS n FROM order_events"
                  " WHERE order_id = ANY($1) GROUP BY 1, 2", history),
        ("inventory", "SELECT order_id, status AS k, count(*) AS n FROM reservations"
                      " WHERE order_id = ANY($1) GROUP BY 1, 2", reservations),
    ):  # fmt: skip
        conn = await asyncpg.connect(stack.postgres.dsn(database))
        try:
            for row in await conn.fetch(query, order_ids):
                into[row["order_id"]][row["k"]] = row["n"]
        finally:
            await conn.close()
    conn = await asyncpg.connect(stack.postgres.dsn("notification"))
    try:
        for row in await conn.fetch(
            "SELECT order_id, array_agg(template ORDER BY template) AS t FROM notifications"
            " WHERE order_id = ANY($1) GROUP BY 1",
            order_ids,
        ):
            notifications[row["order_id"]] = tuple(row["t"])
    finally:
        await conn.close()
    return Effects(dict(history), dict(reservations), notifications)


async def evidence(
    stack: LocalStack, accepted: list[Attempt], initial: dict[str, int], faults: list[FaultWindow]
) -> Evidence:
    records = await orders(stack, accepted, list(initial))
    ids = [r.order_id for r in records]
    return Evidence(
        orders=tuple(records),
        stock=tuple(await stock(stack, initial)),
        provider=await provider(stack, ids),
        effects=await effects(stack, ids),
        faults=tuple(faults),
    )
