"""Settings of the inventory service (plain environment variables)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from workloads.shared.runtime import ServiceSettings


class InventorySettings(ServiceSettings):
    service_name: str = "inventory"
    reservation_ttl_s: float = Field(default=300.0, gt=0)
    expiry_scan_interval_s: float = Field(default=1.0, gt=0)
    admin_token: SecretStr
