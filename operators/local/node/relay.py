"""PostgreSQL, Redis and Kafka of the local stack, reachable from pods at the node address.

The local stack listens on loopback only, and a pod's loopback is its own. Rather than opening
the stack's servers to other interfaces, `cluster up` starts one `socat` per server that listens
on the node address (the project's bridge, reachable only from pods and this machine) and
forwards to the server's loopback port: pods use `<node address>:<same port>`, and PostgreSQL
still sees every connection come from 127.0.0.1, so its authentication rules are unchanged.
Kafka is relayed to a listener of its own (NODE, on loopback) that advertises the node address
and this relay's port, so the metadata a pod receives sends it back through the relay (ADR 0038);
its PLAINTEXT listener would advertise 127.0.0.1, which is the pod's own loopback. The API server
(the `kubernetes` Service's endpoint, ADR 0045) and the fake card provider are relayed the same way.
"""

from __future__ import annotations

import socket

from rich.console import Console

from operators.local.installs import Requirement, binary
from operators.local.processes import Liveness
from operators.local.servers.base import Server, ServerState, ServerStatus
from operators.local.settings import LocalStackSettings


class NodeRelay(Server):
    """socat from <node address>:<port> to 127.0.0.1:<port>, for one local server."""

    def __init__(self, settings: LocalStackSettings, *, target: str, port: int, node_ip: str):
        self.name = f"relay-{target}"
        self.target_port = port
        self.loopback = settings.host
        # The base class checks and reports the listening address from `settings.host`.
        super().__init__(settings.model_copy(update={"host": node_ip}))

    @property
    def port(self) -> int:
        return self.target_port

    @property
    def port_setting(self) -> str:
        return f"the port of {self.name.removeprefix('relay-')} (CONVEYOR_*_PORT)"

    def requirements(self) -> list[Requirement]:
        what = "socat (relays the local servers to the node address)"
        return [binary("socat", what, "socat")]

    def prepare(self, console: Console) -> None:
        self.ensure_dir(self.dir)

    def command(self) -> list[str]:
        return [
            "socat",
            f"TCP-LISTEN:{self.port},bind={self.settings.host},fork,reuseaddr",
            f"TCP:{self.loopback}:{self.port}",
        ]

    def status(self) -> ServerStatus:
        # Probe the node address only while our socat holds it: with the bridge gone, a
        # connection to it would follow the default route off the machine.
        if self.process.liveness() is not Liveness.ALIVE:
            return ServerStatus(self.name, ServerState.STOPPED, None, self.address)
        return super().status()

    def probe(self) -> bool:
        try:
            with socket.create_connection((self.settings.host, self.port), timeout=1.0):
                return True
        except OSError:
            return False
