"""Release reservations whose orders never confirmed in time (TTL far above saga timeouts)."""

from __future__ import annotations

import asyncio
import logging

from workloads.inventory import stock
from workloads.inventory.settings import InventorySettings
from workloads.shared.database import transaction
from workloads.shared.messaging import outbox
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.runtime import Runtime

log = logging.getLogger(__name__)


async def release_expired(runtime: Runtime, limit: int = 100) -> int:
    async with transaction(runtime.pool) as conn:
        rows = await conn.fetch(
            "SELECT order_id FROM reservations WHERE status = 'held' AND expires_at < now()"
            " LIMIT $1 FOR UPDATE SKIP LOCKED",
            limit,
        )
        expired = sorted({row["order_id"] for row in rows})
        for order_id in expired:
            reply = await stock.release(conn, order_id)
            log.warning("reservation of order %s expired", order_id)
            envelope = Envelope.wrap(reply, correlation_id=f"expiry-{order_id}")
            await outbox.append(conn, envelope, key=order_id)
    return len(expired)


async def run(runtime: Runtime) -> None:
    settings = runtime.settings
    if not isinstance(settings, InventorySettings):
        raise TypeError("the expiry job needs InventorySettings")
    while True:
        await release_expired(runtime)
        await asyncio.sleep(settings.expiry_scan_interval_s)
