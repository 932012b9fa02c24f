"""Settings of the payment service; the provider's behaviour is a set of feature flags."""

from __future__ import annotations

from pydantic import Field

from workloads.shared.runtime import ServiceSettings


class PaymentSettings(ServiceSettings):
    service_name: str = "payment"
    payment_failure_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    payment_latency_ms: int = Field(default=0, ge=0, le=60_000)
    payment_decline_token: str = "tok_decline"  # noqa: S105 - a test card, not a secret
