"""The read side's service layer: a customer's orders, newest first, read-your-writes on request.

Pages are keyset pages over (placed_at, order_id), newest first; the cursor is opaque (base64 of
the last row's key) and a malformed one is a 400. A write answers with a consistency token (the
order and the version it reached, `token_for`); a read that carries one waits, polling the read
model, until the projection shows that order at that version or later, for at most
`read_your_writes_wait_s`, then answers 504 instead of a page that would not contain the write.
A token of another customer's order is never satisfied (it only ever times out).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import time
from datetime import datetime

from workloads.order.adapters import customer_orders as store
from workloads.order.schemas import CustomerOrders, CustomerOrderView
from workloads.shared.database import Pool
from workloads.shared.problems import ProblemError

_TOKEN = re.compile(r"^(?P<order>[0-9a-f-]{36})@(?P<version>[0-9]{1,9})$")
POLL_S = 0.05


def token_for(order_id: str, version: int) -> str:
    """The consistency token of a write that left the order at `version`."""
    return f"{order_id}@{version}"


def _parse_token(token: str) -> tuple[str, int]:
    match = _TOKEN.match(token)
    if match is None:
        raise ProblemError(400, "Bad consistency token", "Pass the token a write answered with.")
    return match["order"], int(match["version"])


def _encode_cursor(placed_at: datetime, order_id: str) -> str:
    raw = json.dumps([placed_at.isoformat(), order_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        placed_at, order_id = json.loads(
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        )
        return datetime.fromisoformat(placed_at), str(order_id)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ProblemError(400, "Bad cursor", "Pass the next_cursor a page answered with.") from exc


async def wait_for(pool: Pool, customer_id: str, token: str, *, within_s: float) -> None:
    """Until the read model shows the token's write; 504 when it does not within `within_s`."""
    order_id, version = _parse_token(token)
    deadline = time.monotonic() + within_s
    while True:
        async with pool.acquire() as conn:
            seen = await store.version_of(conn, order_id, customer_id)
        if seen is not None and seen >= version:
            return
        if time.monotonic() >= deadline:
            raise ProblemError(
                504,
                "Read model behind",
                f"The customer's orders did not reach this write within {within_s:.0f} s; retry.",
            )
        await asyncio.sleep(POLL_S)


async def customer_orders(
    pool: Pool,
    customer_id: str,
    *,
    limit: int,
    cursor: str | None,
    token: str | None,
    wait_s: float,
) -> CustomerOrders:
    """A page of the customer's orders, after the write named by `token` if one is given."""
    before = _decode_cursor(cursor) if cursor else None
    if token:
        await wait_for(pool, customer_id, token, within_s=wait_s)
    async with pool.acquire() as conn:
        rows = await store.page(conn, customer_id, before=before, limit=limit + 1)
    more, rows = len(rows) > limit, rows[:limit]
    last = rows[-1] if more else None
    return CustomerOrders(
        customer_id=customer_id,
        orders=[
            CustomerOrderView(**{**dict(r), "placed_at": r["placed_at"].isoformat()}) for r in rows
        ],
        next_cursor=_encode_cursor(last["placed_at"], last["order_id"]) if last else None,
    )
