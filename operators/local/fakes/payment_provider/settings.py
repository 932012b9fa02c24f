"""Settings of the fake payment provider, from `PAYMENT_PROVIDER_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Behaviour(BaseModel):
    """How the provider misbehaves right now: the `fault.payment-provider.*` flags' values."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(default=0, ge=0, le=120_000)
    failure_rate: float = Field(default=0.0, ge=0.0, le=1.0)


class ProviderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENT_PROVIDER_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=18010, ge=1, le=65535)
    ledger: Path = Path("ledger.sqlite3")
    # The flagd flags file whose `fault.payment-provider.*` flags set latency and failures.
    flags_file: Path | None = None
    decline_token: str = "tok_decline"  # noqa: S105 - a test card, not a secret
