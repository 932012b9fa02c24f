"""A process in the chaos namespace reaches the servers through the bridge; iptables cuts it off;
teardown leaves nothing on the host, even after a half-built network."""

from __future__ import annotations

import subprocess

from operators.local.faults.addresses import proxy_address, proxy_port
from operators.local.faults.namespaces import ChaosNetwork
from operators.local.faults.toxiproxy_api import ToxiproxyClient
from operators.local.stack import LocalStack

CONNECT = (
    "import socket, sys\n"
    "host, port = sys.argv[1].rsplit(':', 1)\n"
    "try:\n"
    "    socket.create_connection((host, int(port)), timeout=2).close()\n"
    "    print('connected')\n"
    "except OSError as exc:\n"
    "    print(type(exc).__name__)\n"
)


def _connect_from_inside(network: ChaosNetwork, address: str) -> str:
    argv = [*network.exec_prefix(), "python3", "-c", CONNECT, address]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


def test_inside_the_namespace_only_the_bridge_reaches_the_servers(
    stack: LocalStack, network: ChaosNetwork, toxiproxy: ToxiproxyClient
) -> None:
    network.ensure_namespace()
    postgres = proxy_address(stack.settings, "postgres")
    assert _connect_from_inside(network, postgres) == "connected"
    # The stack's own loopback address is the namespace's own loopback: nothing listens there.
    assert _connect_from_inside(network, stack.postgres.address) == "ConnectionRefusedError"


def test_a_partition_cuts_the_namespace_off_and_heal_restores_it(
    stack: LocalStack, network: ChaosNetwork, toxiproxy: ToxiproxyClient
) -> None:
    network.ensure_namespace()
    postgres = proxy_address(stack.settings, "postgres")
    network.partition([proxy_port(stack.settings, "postgres")], mode="reject")
    assert _connect_from_inside(network, postgres) == "ConnectionRefusedError"
    network.partition([proxy_port(stack.settings, "postgres")], mode="drop")
    assert _connect_from_inside(network, postgres) in {"TimeoutError", "timeout"}
    assert len(network.rules()) == 1  # a new partition replaces the last one
    network.heal()
    assert network.rules() == []
    assert _connect_from_inside(network, postgres) == "connected"


def test_teardown_removes_everything_even_a_half_built_network(stack: LocalStack) -> None:
    network = ChaosNetwork(stack.settings)
    network.ensure_namespace()
    assert sorted(network.leftovers()) == sorted(
        [network.addresses.bridge, network.addresses.host_veth, network.addresses.namespace]
    )
    network.teardown()
    assert network.leftovers() == []
    subprocess.run(["ip", "netns", "add", network.addresses.namespace], check=True)
    network.ensure_bridge()  # a run that died between the bridge and the veth pair
    network.teardown()
    assert network.leftovers() == []
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True)
    assert network.addresses.bridge not in links.stdout
    assert (
        network.addresses.namespace
        not in subprocess.run(
            ["ip", "netns", "list"], capture_output=True, text=True, check=True
        ).stdout
    )
