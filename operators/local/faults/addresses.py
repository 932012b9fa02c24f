"""Where the chaos suite's pieces sit: its private subnet, interface names, the proxies' ports.

Pure arithmetic over the settings, shared by the Kafka server (whose second listener advertises
the Kafka proxy's address), the proxy routes and the network namespace. Every name starts with
`cv` (interfaces) or `conveyor-` (the namespace) and carries the subnet's octets, so two stacks
with different `CONVEYOR_CHAOS_SUBNET`s never share one, and a leftover is easy to find.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from operators.local.settings import LocalStackSettings

# The servers a proxy can stand in front of, in the order of their ports after the API's.
PROXIED: tuple[str, ...] = ("kafka", "postgres", "payment-provider")


@dataclass(frozen=True)
class ChaosAddresses:
    bridge: str  # on the host, holds host_ip
    host_veth: str  # the host's end of the pair, enslaved to the bridge
    ns_veth: str  # the namespace's end, holds ns_ip
    namespace: str
    host_ip: str
    ns_ip: str
    prefix_len: int


def chaos_addresses(settings: LocalStackSettings) -> ChaosAddresses:
    network = ipaddress.ip_network(settings.chaos_subnet)
    octets = str(network.network_address).split(".")
    tag = f"{octets[1]}-{octets[2]}"
    return ChaosAddresses(
        bridge=f"cvbr{tag}",
        host_veth=f"cvh{tag}",
        ns_veth=f"cvn{tag}",
        namespace=f"conveyor-{tag}",
        host_ip=str(network[1]),
        ns_ip=str(network[2]),
        prefix_len=network.prefixlen,
    )


def proxy_port(settings: LocalStackSettings, server: str) -> int:
    """The port a server's proxy listens on (on the bridge's address): after the API's port."""
    return settings.toxiproxy_port + 1 + PROXIED.index(server)


def proxy_address(settings: LocalStackSettings, server: str) -> str:
    return f"{chaos_addresses(settings).host_ip}:{proxy_port(settings, server)}"
