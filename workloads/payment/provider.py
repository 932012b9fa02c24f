"""A simulated card provider: latency and failure rate are flags; one token always declines."""

from __future__ import annotations

import asyncio
import random

from workloads.payment.settings import PaymentSettings


async def authorise(settings: PaymentSettings, card_token: str) -> str | None:
    """None when the charge goes through, else the decline reason."""
    if settings.payment_latency_ms:
        await asyncio.sleep(settings.payment_latency_ms / 1000)
    if card_token == settings.payment_decline_token:
        return "card declined"
    if random.random() < settings.payment_failure_rate:  # noqa: S311 - simulation, not crypto
        return "provider error (simulated)"
    return None
