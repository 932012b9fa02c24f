"""Read the fake card provider's ledger and change its behaviour, for the e2e tests.

The provider's ledger is the audit that can fail: it counts every charge it made, with no rule of
"one per order", so a second call with a second key shows here as a second charge.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from operators.local.stack import LocalStack


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
    """Set the provider's latency and failure rate while it runs (both 0: behave normally)."""
    async with httpx.AsyncClient(base_url=stack.payment_provider.url, timeout=10) as http:
        response = await http.put(
            "/v1/admin/behaviour",
            json={"latency_ms": latency_ms, "failure_rate": failure_rate},
            headers={"Authorization": f"Bearer {stack.admin_token()}"},
        )
    response.raise_for_status()
