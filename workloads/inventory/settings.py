"""Settings of the inventory service (plain environment variables).

`RESERVATION_TTL_S` is how long a reservation may wait for its order's saga to end before the
expiry pass looks at it: released if inventory has seen the order cancelled, otherwise reported
overdue and kept (jobs.py). A healthy saga ends within about two of the order service's step
timeouts (`SAGA_STEP_TIMEOUT_S`, default 30 s: reserve, then pay), so the TTL must exceed twice
that timeout. Inventory cannot read the order service's settings, so it refuses only what is
wrong for any sane step timeout: a TTL under `MIN_RESERVATION_TTL_S` (twice the default step
timeout). A TTL below twice a raised step timeout does not oversell — nothing is released
without a cancellation — but reports healthy orders as overdue.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from workloads.shared.runtime import ServiceSettings

DEFAULT_SAGA_STEP_TIMEOUT_S = 30.0  # the order service's default (workloads/order/settings.py)
MIN_RESERVATION_TTL_S = 2 * DEFAULT_SAGA_STEP_TIMEOUT_S


class InventorySettings(ServiceSettings):
    service_name: str = "inventory"
    reservation_ttl_s: float = 300.0
    expiry_scan_interval_s: float = Field(default=1.0, gt=0)
    admin_token: SecretStr

    @field_validator("reservation_ttl_s")
    @classmethod
    def _outlasts_the_saga(cls, ttl_s: float) -> float:
        if ttl_s < MIN_RESERVATION_TTL_S:
            raise ValueError(
                f"RESERVATION_TTL_S={ttl_s:g} is shorter than a saga may need: it must be at least"
                f" {MIN_RESERVATION_TTL_S:g} s, and above twice the order service's"
                " SAGA_STEP_TIMEOUT_S (reserve, then pay) when that is raised"
            )
        return ttl_s
