"""The gateway's settings, from plain environment variables (no database, no Kafka).

Upstreams are found in one of two ways (ADR 0034): `UPSTREAM_REGISTRY`, a JSON file the local
runner rewrites whenever a workload's desired replicas change (`{workload: [base URL, ...]}`), or
else one `<WORKLOAD>_URL` per callee as the operator renders it (a Kubernetes Service name, which
the cluster balances). Either way the gateway probes every address and routes only to live ones.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workloads.catalogue import WORKLOADS
from workloads.shared.forwarded import networks
from workloads.shared.resiliency import Resiliency


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = "gateway"
    replica: int = Field(default=0, ge=0)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=18000, ge=1, le=65535)
    log_level: str = "INFO"
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    otlp_endpoint: str | None = Field(default=None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    trace_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    resiliency: Resiliency = Field(
        default_factory=Resiliency, validation_alias="CONVEYOR_RESILIENCY"
    )
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:16379/0")
    # The token the services' admin routes take; the gateway sends it for verified admins only.
    admin_token: SecretStr = SecretStr("")

    upstream_registry: Path | None = None
    balancing: Literal["round_robin", "least_outstanding"] = "round_robin"
    health_interval_s: float = Field(default=1.0, gt=0)
    health_timeout_s: float = Field(default=1.0, gt=0)
    # Probes failed in a row (timeouts, errors) before a replica leaves rotation; a refused
    # connection takes it out at once.
    health_unhealthy_threshold: int = Field(default=3, ge=1)
    # After SIGTERM, serve this long with `Connection: close` and readiness 503 (draining.py).
    shutdown_drain_s: float = Field(default=0.0, ge=0.0, le=120.0)
    # Per upstream: calls in flight at most (the bulkhead), and the timeout without a policy.
    bulkhead_max_concurrent: int = Field(default=64, ge=1)
    # How long a call waits for a slot when all are taken (0: refused at once); bulkhead.py.
    bulkhead_max_wait_s: float = Field(default=0.25, ge=0.0, le=10.0)
    upstream_timeout_s: float = Field(default=10.0, gt=0)
    # The rate limit per client (the verified subject, else the peer address).
    rate_limit_requests: int = Field(default=600, ge=1)
    rate_limit_window_s: float = Field(default=60.0, gt=0)
    rate_limit_name: str = Field(default="gateway", pattern=r"^[a-z0-9-]{1,40}$")  # key prefix
    # Proxies in front of the gateway whose `X-Forwarded-For` names the client (addresses or
    # CIDRs, comma-separated); none by default: the peer is the client, and a client's own
    # `X-Forwarded-For` is ignored (workloads/shared/forwarded.py).
    trusted_proxies: str = ""
    # JSON Web Key Set cached this long; an unknown `kid` refetches it at most this often.
    jwks_refresh_s: float = Field(default=300.0, gt=0)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        networks(value)  # a typo fails at start, naming the setting
        return value

    def static_upstreams(self) -> dict[str, list[str]]:
        """`<WORKLOAD>_URL` of every catalogue workload that has one set (the operator's)."""
        found: dict[str, list[str]] = {}
        for workload in WORKLOADS:
            url = os.environ.get(f"{workload.name.upper()}_URL")
            if url:
                found[workload.name] = [url.rstrip("/")]
        return found
