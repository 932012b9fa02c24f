"""Where the local stack keeps its state and which loopback ports it uses.

Defaults sit away from each server's well-known port so a system-wide PostgreSQL or Redis on the
same machine never collides with the project's own; every value can be overridden with a
`CONVEYOR_` environment variable (for example `CONVEYOR_POSTGRES_PORT=25432`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from operators.paths import REPO_ROOT


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "conveyor"


class LocalStackSettings(BaseSettings):
    """Settings of the local stack, read from `CONVEYOR_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="CONVEYOR_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    state_dir: Path = Field(default=REPO_ROOT / ".local")
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    # The OrderPipeline `up` runs (CONVEYOR_PIPELINE or `conveyor local up --pipeline PATH`).
    pipeline: Path = Field(default=REPO_ROOT / "operators" / "examples" / "local.yaml")

    postgres_port: int = Field(default=15432, ge=1024, le=65535)
    redis_port: int = Field(default=16379, ge=1024, le=65535)
    kafka_port: int = Field(default=19092, ge=1024, le=65535)
    kafka_controller_port: int = Field(default=19093, ge=1024, le=65535)
    prometheus_port: int = Field(default=19090, ge=1024, le=65535)
    alertmanager_port: int = Field(default=19193, ge=1024, le=65535)
    payment_provider_port: int = Field(default=18010, ge=1024, le=65535)  # the fake card provider
    etcd_port: int = Field(default=12379, ge=1024, le=65535)
    etcd_peer_port: int = Field(default=12380, ge=1024, le=65535)
    kube_apiserver_port: int = Field(default=16443, ge=1024, le=65535)
    # The chaos suite's fault proxy (ADR 0026): its API here, its proxies on the next three ports.
    toxiproxy_port: int = Field(default=18474, ge=1024, le=65530)
    toxiproxy_version: str = Field(default="v2.12.0", pattern=r"^v\d+\.\d+\.\d+$")
    # Kafka's second listener, reached only through the proxy and advertised as the proxy's port.
    kafka_proxied_port: int = Field(default=19094, ge=1024, le=65535)
    # Kafka's listener for pods on the local node: on loopback, advertised as the node address,
    # where `cluster up` relays it (ADR 0038).
    kafka_node_port: int = Field(default=19095, ge=1024, le=65535)
    # Private addresses only the chaos suite uses: its bridge (.1) and namespace (.2).
    chaos_subnet: str = Field(default="10.218.0.0/24", pattern=r"^10\.\d+\.\d+\.0/24$")
    zipkin_port: int = Field(default=19411, ge=1024, le=65535)  # trace store: API, UI, span intake
    otlp_grpc_port: int = Field(default=18317, ge=1024, le=65535)  # the collector's OTLP receiver
    otlp_http_port: int = Field(default=18318, ge=1024, le=65535)  # … and over HTTP (services)

    kafka_version: str = "3.9.1"
    kafka_heap: str = "384m"
    # The Kubernetes release whose API server the operator is tested against; built from source.
    kubernetes_version: str = Field(default="v1.34.4", pattern=r"^v1\.\d+\.\d+$")
    start_timeout_s: float = Field(default=90.0, gt=0)
    stop_timeout_s: float = Field(default=30.0, gt=0)

    @property
    def secrets_dir(self) -> Path:
        return self.state_dir / "secrets"

    def server_dir(self, name: str) -> Path:
        return self.state_dir / name
