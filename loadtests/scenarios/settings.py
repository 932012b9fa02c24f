"""Where a scenario's requests go, how fast, and as whom: one settings object, from the environment.

The runner writes these as `CONVEYOR_LOAD_*` variables for the Locust master and every worker, so
each process reads the same values. With `gateway_url` (the runner's default: the local stack's
gateway) every request goes to the gateway (same `/v1/...` paths as the services): readers
anonymously, buyers as customers that registered (`register_path`, an email starting with the
run's customer prefix) and logged in once (`login_path`, identity's), admins as one of the
`admins` admin accounts the runner created (`admin_email(k)`), each session refreshed
`refresh_margin_s` before its access token expires. Without it each service is reached at its
own URL with the stack's admin token (`admin_token`, never given to a run through the gateway).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Service = Literal["catalog", "order", "inventory"]


class LoadSettings(BaseSettings):
    """A load run's target and pace, read from `CONVEYOR_LOAD_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="CONVEYOR_LOAD_", extra="ignore", frozen=True)

    gateway_url: str | None = None
    login_path: str = "/v1/auth/login"
    register_path: str = "/v1/users"
    password: SecretStr = SecretStr("load-test-password-1")
    catalog_url: str = "http://127.0.0.1:18005"
    order_url: str = "http://127.0.0.1:18001"
    inventory_url: str = "http://127.0.0.1:18002"
    admin_token: SecretStr = SecretStr("")
    admins: int = Field(default=0, ge=0)  # admin accounts `admin_email(0..admins-1)`
    refresh_margin_s: float = Field(default=60.0, gt=0)
    # Orders per second over the whole run (all users, all workers together).
    rate: float = Field(default=5.0, gt=0)
    users: int = Field(default=10, ge=1)
    # How many of the users are buyers: each paces at `buyers / rate` s per order.
    buyers: int = Field(default=10, ge=1)
    # Every order's customer id starts with this, so the run's orders can be counted afterwards.
    run_id: str = Field(default="adhoc", pattern=r"^[a-z0-9-]{1,24}$")
    products: int = Field(default=50, ge=1)  # the load products `load-<n>` the runner stocked
    hot_products: int = Field(default=0, ge=0)  # > 0: orders go only to the first n (a sale)
    decline_every: int = Field(default=10, ge=0)  # every n-th order's card declines (compensates)
    follow_timeout_s: float = Field(default=60.0, gt=0)

    def url(self, service: Service) -> str:
        base = (
            self.gateway_url
            or {
                "catalog": self.catalog_url,
                "order": self.order_url,
                "inventory": self.inventory_url,
            }[service]
        )
        return base.rstrip("/")

    def product_ids(self) -> list[str]:
        count = self.hot_products or self.products
        return [product_id(i) for i in range(min(count, self.products))]

    @property
    def customer_prefix(self) -> str:
        return f"load-{self.run_id}-"

    def admin_email(self, k: int) -> str:
        return f"load-admin-{self.run_id}-{k % max(self.admins, 1)}@example.com"


def product_id(n: int) -> str:
    return f"load-{n}"
