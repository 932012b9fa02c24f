"""Settings of the local node, read from `CONVEYOR_*` environment variables like the stack's.

The node's address is the gateway of a bridge the project creates (`node_bridge`, a private
`node_subnet` routed nowhere): pods sit on the same bridge, so they reach the node (and whatever
listens on its address) without leaving the machine. Every port a node server listens on is a
setting here, with a default in the 18xxx range, so two checkouts can run side by side.
"""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class NodeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONVEYOR_", extra="ignore", frozen=True)

    node_bridge: str = Field(default="cnv-node0", pattern=r"^[a-z0-9-]{1,15}$")
    node_subnet: str = "10.213.0.0/24"
    kubelet_port: int = Field(default=18250, ge=1024, le=65535)
    kubelet_healthz_port: int = Field(default=18248, ge=1024, le=65535)
    kube_scheduler_port: int = Field(default=18259, ge=1024, le=65535)
    kube_proxy_healthz_port: int = Field(default=18256, ge=1024, le=65535)
    kube_proxy_metrics_port: int = Field(default=18249, ge=1024, le=65535)
    containerd_metrics_port: int = Field(default=18338, ge=1024, le=65535)
    coredns_ready_port: int = Field(default=18181, ge=1024, le=65535)
    cluster_domain: str = Field(
        default="cluster.local", pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$"
    )

    @field_validator("node_subnet")
    @classmethod
    def _private(cls, value: str) -> str:
        network = ipaddress.ip_network(value)
        if not network.is_private or network.version != 4 or network.prefixlen > 28:  # noqa: PLR2004
            raise ValueError(f"{value}: the node subnet must be a private IPv4 /28 or larger")
        return str(network)

    @property
    def node_ip(self) -> str:
        """The bridge's own address: the node's InternalIP and the pods' gateway."""
        return str(next(ipaddress.ip_network(self.node_subnet).hosts()))

    @property
    def prefix_len(self) -> int:
        return ipaddress.ip_network(self.node_subnet).prefixlen
