"""The run's orders, counted where they live: the order service's database, by customer prefix.

Every order a scenario places has a customer id starting `load-<run id>-`, so after the run the
orders are found whichever Locust worker placed them. Behind the gateway a customer orders as
itself (its identity user id), so the run's accounts (emails starting `load-<run id>-`) are
looked up in identity's database (`customers`) and their orders counted too. `drain` waits
(bounded) until none of them is open; whatever is still open then (neither CONFIRMED, CANCELLED
nor SHIPPED) is lost.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import asyncpg

TERMINAL = ("CONFIRMED", "CANCELLED", "SHIPPED")


@dataclass
class Orders:
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        return sum(self.by_status.values())

    @property
    def confirmed(self) -> int:
        return self.by_status.get("CONFIRMED", 0) + self.by_status.get("SHIPPED", 0)

    @property
    def compensated(self) -> int:
        return self.by_status.get("CANCELLED", 0)

    @property
    def lost(self) -> int:
        return self.accepted - self.confirmed - self.compensated

    def to_dict(self) -> dict[str, int]:
        return {
            "accepted": self.accepted,
            "confirmed": self.confirmed,
            "compensated": self.compensated,
            "lost": self.lost,
        }


RUN_ORDERS = "(customer_id LIKE $1 OR customer_id = ANY($2::text[]))"


async def customers(identity_dsn: str, prefix: str) -> list[str]:
    """The user ids of the run's accounts (behind the gateway an order's customer is its user)."""
    conn = await asyncpg.connect(identity_dsn)
    try:
        rows = await conn.fetch(
            "SELECT user_id::text AS id FROM users WHERE email LIKE $1",
            prefix.replace("_", r"\_") + "%",
        )
    finally:
        await conn.close()
    return [r["id"] for r in rows]


async def count(dsn: str, prefix: str, ids: Sequence[str] = ()) -> Orders:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            f"SELECT status, count(*) AS n FROM orders WHERE {RUN_ORDERS} GROUP BY status",  # noqa: S608
            prefix.replace("_", r"\_") + "%",
            list(ids),
        )
    finally:
        await conn.close()
    return Orders({r["status"]: int(r["n"]) for r in rows})


async def drain(
    dsn: str,
    prefix: str,
    *,
    timeout_s: float,
    progress: Callable[[Orders], None],
    ids: Sequence[str] = (),
) -> Orders:
    """Count until no order of the run is open or `timeout_s` has passed."""
    deadline = time.monotonic() + timeout_s
    while True:
        orders = await count(dsn, prefix, ids)
        progress(orders)
        if orders.lost == 0 or time.monotonic() > deadline:
            return orders
        await asyncio.sleep(0.5)


async def example(dsn: str, prefix: str, ids: Sequence[str] = ()) -> str | None:
    """One order of the run to look at, a compensated one when there is one."""
    conn = await asyncpg.connect(dsn)
    try:
        found = await conn.fetchval(
            f"SELECT order_id FROM orders WHERE {RUN_ORDERS}"  # noqa: S608
            " ORDER BY status = 'CANCELLED' DESC, created_at DESC LIMIT 1",
            prefix.replace("_", r"\_") + "%",
            list(ids),
        )
    finally:
        await conn.close()
    return None if found is None else str(found)
