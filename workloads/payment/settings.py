"""Settings of the payment service: where its card provider is and how long to wait for it.

Latency, failures and declines are the provider's own behaviour now (the fake provider has its
settings and an admin endpoint); the service only bounds its calls.
"""

from __future__ import annotations

from pydantic import Field

from workloads.shared.runtime import ServiceSettings


class PaymentSettings(ServiceSettings):
    service_name: str = "payment"
    payment_provider_url: str = "http://127.0.0.1:18010"
    # One call's timeout, and attempts per settlement round (transport errors and 5xx only).
    payment_provider_timeout_s: float = Field(default=2.0, gt=0, le=60)
    payment_provider_attempts: int = Field(default=3, ge=1, le=10)
    # Calls in flight at once per replica.
    payment_provider_concurrency: int = Field(default=32, ge=1, le=500)

    @property
    def provider_lease_s(self) -> float:
        """How long a claimed intent is left to its claimer: longer than a whole round of
        attempts (each a timeout plus at most 1 s of back-off), so a live claimer is never
        overtaken; after a crash another round starts once it runs out."""
        return self.payment_provider_attempts * (self.payment_provider_timeout_s + 1.0) + 2.0
