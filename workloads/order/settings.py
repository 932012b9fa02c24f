"""Settings of the order service (plain environment variables)."""

from __future__ import annotations

from pydantic import Field

from workloads.shared.runtime import ServiceSettings


class OrderSettings(ServiceSettings):
    service_name: str = "order"
    saga_step_timeout_s: float = Field(default=30.0, gt=0)
    timeout_scan_interval_s: float = Field(default=0.25, gt=0)
