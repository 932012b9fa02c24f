"""The inventory service's background job: the expiry pass over reservations past their TTL.

Every `expiry_scan_interval_s` it releases the expired holds of orders inventory has seen cancelled
(`handlers.release_expired`), and reports every other hold past its TTL instead of releasing it:
the gauge `conveyor_inventory_reservations_overdue` counts them, and each newly overdue order is
logged once at WARNING by name (again after a restart, which is a reminder). Such a hold ends
when the confirmation is applied (the units stay sold), when the cancellation arrives (released
on the next pass) or by a human. Every replica may run it at once. Crash-only like every
background task (`workloads.shared.runtime`): an unexpected error ends the process and the
supervisor restarts it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime

from workloads.inventory import handlers, metrics
from workloads.inventory.settings import InventorySettings
from workloads.shared.database import Pool
from workloads.shared.runtime import Runtime

log = logging.getLogger(__name__)


async def expiry_pass(pool: Pool, *, reported: set[str]) -> set[str]:
    """Release what may expire, report what is overdue; returns the overdue orders now reported.

    `reported` is what the previous pass returned: only orders not in it are logged.
    """
    released = await handlers.release_expired(pool)
    metrics.reservations_expired.inc(released)
    overdue = await handlers.overdue(pool)
    metrics.reservations_overdue.set(overdue.count)
    now = datetime.now(UTC)
    for order_id, expired_at in overdue.oldest.items():
        if order_id not in reported:
            log.warning(
                "reservation of order %s is overdue: %.0f s past its TTL and the order is neither"
                " confirmed nor cancelled as far as inventory knows; its units stay held, not"
                " released (check the order's saga, and inventory's lag and dead letters)",
                order_id,
                (now - expired_at).total_seconds(),
            )
    return set(overdue.oldest)


async def expire_reservations(runtime: Runtime, settings: InventorySettings) -> None:
    reported: set[str] = set()
    while True:
        reported = await expiry_pass(runtime.pool, reported=reported)
        await asyncio.sleep(settings.expiry_scan_interval_s)


def build(runtime: Runtime) -> Sequence[tuple[str, Awaitable[None]]]:
    settings = runtime.settings
    if not isinstance(settings, InventorySettings):
        raise TypeError("the expiry job needs InventorySettings")
    return [("reservation-expiry", expire_reservations(runtime, settings))]
