"""The fault pieces on the real stack: Toxiproxy started, the chaos network removed after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rich.console import Console

from operators.local.faults import namespaces
from operators.local.faults.namespaces import ChaosNetwork
from operators.local.faults.routes import proxies
from operators.local.faults.toxiproxy_api import ToxiproxyClient
from operators.local.installs import ensure_installed
from operators.local.stack import LocalStack


@pytest.fixture
def network(stack: LocalStack, quiet: Console) -> Iterator[ChaosNetwork]:
    # What `make chaos` installs first (loadtests/chaos/proxied.py): ip and iptables. On a new
    # machine nothing else in shard a installs iptables (the node's setup in shard b does, later).
    ensure_installed(namespaces.requirements(), quiet)
    chaos = ChaosNetwork(stack.settings)
    try:
        yield chaos
    finally:
        chaos.teardown()


@pytest.fixture
def toxiproxy(
    stack: LocalStack, network: ChaosNetwork, quiet: Console
) -> Iterator[ToxiproxyClient]:
    """Toxiproxy running, the bridge up, the stack's proxies created; every toxic removed after."""
    network.ensure_bridge()
    stack.toxiproxy.start(quiet)
    with ToxiproxyClient(stack.toxiproxy.url) as client:
        client.reset()
        for proxy in proxies(stack.settings):
            client.delete(proxy.name)
            client.ensure(proxy)
        try:
            yield client
        finally:
            client.reset()
