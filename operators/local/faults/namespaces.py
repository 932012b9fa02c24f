"""The chaos suite's own network: a bridge, a network namespace on a veth pair, iptables inside it.

This kernel has no netem, so packets cannot be delayed in the kernel (Toxiproxy delays them), but
iptables can drop, reject and randomly lose them. A service run inside the namespace
(`ip netns exec`) reaches the servers only through the bridge's host-side address, where the
Toxiproxy listeners sit (operators/local/faults/routes.py); a partition is iptables rules in the
namespace's own tables, in a chain of our own, so healing flushes that chain and nothing else.

What it changes on the host, all named after `CONVEYOR_CHAOS_SUBNET` (a private /24 only the suite
uses): one bridge with the subnet's .1, one veth pair, one namespace (.2). No route leaves the
machine: the namespace has no default route, forwarding is not touched, and no rule is added to
the host's own tables. `teardown()` deletes the namespace (with its veth end and its rules) and the
bridge; every step tolerates what is already gone, and the errors of all steps are reported
together, so a half-built network is still removed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from typing import Literal

from operators.local.faults.addresses import ChaosAddresses, chaos_addresses
from operators.local.installs import Requirement, binary
from operators.local.settings import LocalStackSettings

CHAIN = "CONVEYOR-PARTITION"
PartitionMode = Literal["drop", "reject", "loss"]


class NetworkFaultError(RuntimeError):
    """A command that builds or changes the chaos network failed; the message holds its output."""


def requirements() -> list[Requirement]:
    return [
        binary("ip", "iproute2 (network namespaces, veth, bridges)", "iproute2"),
        binary("iptables", "iptables (partitions inside the namespace)", "iptables"),
    ]


def partition_rules(
    host_ip: str, ports: Sequence[int], mode: PartitionMode, probability: float
) -> list[list[str]]:
    """The iptables rules (arguments after `-A CHAIN`) that cut traffic to the given ports."""
    if not 0 < probability <= 1:
        raise ValueError(f"probability must be in (0, 1], not {probability}")
    if mode == "loss":
        target = ["-m", "statistic", "--mode", "random", "--probability", f"{probability}"]
        target += ["-j", "DROP"]
    elif mode == "reject":
        target = ["-j", "REJECT", "--reject-with", "tcp-reset"]
    else:
        target = ["-j", "DROP"]
    return [["-d", host_ip, "-p", "tcp", "--dport", str(port), *target] for port in sorted(ports)]


class ChaosNetwork:
    """The bridge and namespace of one stack (named after its chaos subnet)."""

    def __init__(self, settings: LocalStackSettings) -> None:
        self.addresses: ChaosAddresses = chaos_addresses(settings)

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            output = (result.stderr or result.stdout).strip()
            raise NetworkFaultError(f"`{' '.join(argv)}` failed: {output}")
        return result

    def _ns(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run("ip", "netns", "exec", self.addresses.namespace, *argv, check=check)

    def _link_exists(self, name: str) -> bool:
        return self._run("ip", "link", "show", "dev", name, check=False).returncode == 0

    def namespace_exists(self) -> bool:
        listed = self._run("ip", "netns", "list", check=False).stdout.split()
        return self.addresses.namespace in listed

    def ensure_bridge(self) -> None:
        """The bridge with the host's address: the proxies' listeners bind there."""
        a = self.addresses
        if not self._link_exists(a.bridge):
            self._run("ip", "link", "add", a.bridge, "type", "bridge")
        shown = self._run("ip", "-o", "addr", "show", "dev", a.bridge).stdout
        if f" {a.host_ip}/" not in shown:
            self._run("ip", "addr", "add", f"{a.host_ip}/{a.prefix_len}", "dev", a.bridge)
        self._run("ip", "link", "set", a.bridge, "up")

    def ensure_namespace(self) -> None:
        """The namespace on a veth pair to the bridge, loopback up, the iptables chain ready."""
        a = self.addresses
        self.ensure_bridge()
        if not self.namespace_exists():
            self._run("ip", "netns", "add", a.namespace)
        if not self._link_exists(a.host_veth):
            self._run(
                "ip", "link", "add", a.host_veth, "type", "veth", "peer", "name", a.ns_veth,
                "netns", a.namespace,
            )  # fmt: skip
        self._run("ip", "link", "set", a.host_veth, "master", a.bridge, "up")
        self._run("ip", "-n", a.namespace, "link", "set", "lo", "up")
        shown = self._run("ip", "-n", a.namespace, "-o", "addr", "show", "dev", a.ns_veth).stdout
        if f" {a.ns_ip}/" not in shown:
            self._run(
                "ip", "-n", a.namespace, "addr", "add", f"{a.ns_ip}/{a.prefix_len}",
                "dev", a.ns_veth,
            )  # fmt: skip
        self._run("ip", "-n", a.namespace, "link", "set", a.ns_veth, "up")
        if self._ns("iptables", "-n", "-L", CHAIN, check=False).returncode != 0:
            self._ns("iptables", "-N", CHAIN)
            self._ns("iptables", "-A", "OUTPUT", "-j", CHAIN)

    def exec_prefix(self) -> list[str]:
        """Prefix a command with this to run it inside the namespace."""
        return ["ip", "netns", "exec", self.addresses.namespace]

    def partition(
        self, ports: Sequence[int], *, mode: PartitionMode = "drop", probability: float = 1.0
    ) -> None:
        """Cut (or randomly lose) the namespace's traffic to these ports on the bridge."""
        self.heal()
        for rule in partition_rules(self.addresses.host_ip, ports, mode, probability):
            self._ns("iptables", "-A", CHAIN, *rule)

    def rules(self) -> list[str]:
        return [
            line
            for line in self._ns("iptables", "-S", CHAIN).stdout.splitlines()
            if line.startswith("-A ")
        ]

    def heal(self) -> None:
        """Remove every partition rule (the chain stays, empty)."""
        self._ns("iptables", "-F", CHAIN)

    def teardown(self) -> None:
        """Delete the namespace (its veth end and rules go with it), the veth and the bridge."""
        a = self.addresses
        errors: list[str] = []
        # Presence is asked right before each step: deleting the namespace takes the veth pair.
        steps: list[tuple[Callable[[], bool], list[str]]] = [
            (self.namespace_exists, ["ip", "netns", "delete", a.namespace]),
            (lambda: self._link_exists(a.host_veth), ["ip", "link", "delete", a.host_veth]),
            (lambda: self._link_exists(a.bridge), ["ip", "link", "delete", a.bridge]),
        ]
        for present, argv in steps:
            if present():
                result = self._run(*argv, check=False)
                if result.returncode != 0 and present():
                    errors.append(f"`{' '.join(argv)}`: {result.stderr.strip()}")
        if errors or self.leftovers():
            raise NetworkFaultError(
                f"the chaos network was not fully removed ({'; '.join(errors)}); left: "
                f"{self.leftovers()}"
            )

    def leftovers(self) -> list[str]:
        """What of this network still exists on the host (empty after a clean teardown)."""
        a = self.addresses
        left = [name for name in (a.bridge, a.host_veth) if self._link_exists(name)]
        return left + ([a.namespace] if self.namespace_exists() else [])
