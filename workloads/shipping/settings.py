"""Settings of the shipping service (plain environment variables)."""

from __future__ import annotations

from workloads.shared.runtime import ServiceSettings


class ShippingSettings(ServiceSettings):
    service_name: str = "shipping"
