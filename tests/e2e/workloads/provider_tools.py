"""Read the fake card provider's ledger and change its behaviour (flags), for the e2e tests.

The provider's ledger is the audit that can fail: it counts every charge it made, with no rule of
"one per order", so a second call with a second key shows here as a second charge.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from operators.local import flags_file
from operators.local.plan import read
from operators.local.stack import LocalStack
from tests.support.eventually import eventually
from workloads.shared.flags.names import PAYMENT_PROVIDER_FAILURE_RATE, PAYMENT_PROVIDER_LATENCY_MS


async def ledger(stack: LocalStack, *order_ids: str) -> dict[str, dict[str, int]]:
    """Per order (all orders when none are named): charges, declines, refunds, with cents."""
    params = httpx.QueryParams([("order_id", o) for o in order_ids])
    async with httpx.AsyncClient(base_url=stack.payment_provider.url, timeout=10) as http:
        response = await http.get("/v1/ledger", params=params)
    response.raise_for_status()
    orders: dict[str, dict[str, int]] = response.json()["orders"]
    return orders


async def ledger_since(stack: LocalStack) -> datetime | None:
    """When the provider's ledger begins (its oldest charge); None before any charge."""
    async with httpx.AsyncClient(base_url=stack.payment_provider.url, timeout=10) as http:
        response = await http.get("/v1/ledger", params=[("order_id", "-")])
    response.raise_for_status()
    since = response.json()["since"]
    return None if since is None else datetime.fromisoformat(since)


async def charges(stack: LocalStack, order_id: str) -> list[dict[str, Any]]:
    """Every charge the provider made for the order (declined ones included), oldest first."""
    async with httpx.AsyncClient(base_url=stack.payment_provider.url, timeout=10) as http:
        response = await http.get("/v1/charges", params={"order_id": order_id})
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()["data"]
    return found


async def behave(stack: LocalStack, *, latency_ms: int = 0, failure_rate: float = 0.0) -> None:
    """Set the provider's latency and failure rate while it runs (both 0: behave normally).

    Through the stack's flags file, as `conveyor flags set` does; returns once the running
    provider answers with the new values (its flagd provider polls the file).
    """
    path = flags_file.location(stack.settings)
    spec = read(stack.settings.pipeline).spec
    flags_file.set_flag(path, PAYMENT_PROVIDER_LATENCY_MS.key, str(latency_ms), spec=spec)
    flags_file.set_flag(
        path, PAYMENT_PROVIDER_FAILURE_RATE.key, str(float(failure_rate)), spec=spec
    )
    wanted = {"latency_ms": latency_ms, "failure_rate": failure_rate}

    async def applied() -> None:
        async with httpx.AsyncClient(base_url=stack.payment_provider.url, timeout=10) as http:
            response = await http.get("/v1/behaviour")
        response.raise_for_status()
        assert response.json() == wanted

    await eventually(applied, within_s=30)
