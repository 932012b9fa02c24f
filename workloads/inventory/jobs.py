"""The inventory service's background job: release reservations whose orders never confirmed.

Every `expiry_scan_interval_s` it releases what expired (`handlers.release_expired`; the TTL is
far above the saga's timeouts, and every replica may run it at once). Crash-only like every
background task (`workloads.shared.runtime`): an unexpected error ends the process and the
supervisor restarts it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence

from workloads.inventory import handlers
from workloads.inventory.settings import InventorySettings
from workloads.shared.runtime import Runtime


async def expire_reservations(runtime: Runtime, settings: InventorySettings) -> None:
    while True:
        await handlers.release_expired(runtime.pool)
        await asyncio.sleep(settings.expiry_scan_interval_s)


def build(runtime: Runtime) -> Sequence[tuple[str, Awaitable[None]]]:
    settings = runtime.settings
    if not isinstance(settings, InventorySettings):
        raise TypeError("the expiry job needs InventorySettings")
    return [("reservation-expiry", expire_reservations(runtime, settings))]
