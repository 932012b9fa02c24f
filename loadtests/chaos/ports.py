"""The stack's ports must not be ports the kernel hands out to clients, or a restart can fail.

A client retrying a stopped server on loopback takes a source port from the kernel's ephemeral
range (`net.ipv4.ip_local_port_range`, 32768-60999 by default). When the server's own port lies in
that range, one attempt can take the server's port as its source and connect to itself (TCP
simultaneous open); that socket then holds the port, and the server, started again, cannot bind
it ("Address already in use"). Found by `kafka_stop` on a stack moved to 33xxx: Kafka exited
during start-up three times in a row, and the scenario failed for a reason that was not the
system's. The default ports (15432, 16379, 18xxx, 19xxx) lie below the range. A stack above it
needs its ports reserved (`net.ipv4.ip_local_reserved_ports`), which the kernel never hands out.

`exposed` is pure; `problem` reads /proc (no such files, as on macOS: nothing to say) and returns
the message naming the ports and the fix, which `python -m loadtests.chaos` refuses to run with.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from operators.local.plan import MAX_REPLICAS
from operators.local.stack import LocalStack

PROC = Path("/proc/sys/net/ipv4")
Range = tuple[int, int]


def parse_ranges(text: str) -> list[Range]:
    """`32768\\t60999` (the ephemeral range) or `33000-33999,40000` (the reserved ports)."""
    ranges: list[Range] = []
    for part in text.replace("\t", "-").replace(" ", "-").split(","):
        bounds = [int(b) for b in part.strip().split("-") if b]
        if bounds:
            ranges.append((bounds[0], bounds[-1]))
    return ranges


def exposed(ports: Iterable[int], ephemeral: Range, reserved: list[Range]) -> list[int]:
    """The ports a client's connect may take as its source: in the range and not reserved."""
    low, high = ephemeral
    return sorted(
        {p for p in ports if low <= p <= high and not any(lo <= p <= hi for lo, hi in reserved)}
    )


def stack_ports(stack: LocalStack) -> list[int]:
    """Every port of the servers (the fault proxy's three proxies too) and of the workloads'
    replicas (as many as the replicas scenario may start)."""
    settings = stack.settings.model_dump()
    ports = [v for k, v in settings.items() if k.endswith("_port") and isinstance(v, int)]
    ports += [stack.settings.toxiproxy_port + i for i in (1, 2, 3)]
    for workload in stack.read_pipeline().workloads:
        ports += [workload.port_of(i) for i in range(min(MAX_REPLICAS, workload.replicas + 1))]
    return ports


def problem(stack: LocalStack, *, proc: Path = PROC) -> str | None:
    """Why restarts of this stack may fail on this machine, with the fix; None when they cannot."""
    try:
        [ephemeral] = parse_ranges((proc / "ip_local_port_range").read_text())
        reserved = parse_ranges((proc / "ip_local_reserved_ports").read_text())
    except (OSError, ValueError):
        return None
    ports = exposed(stack_ports(stack), ephemeral, reserved)
    if not ports:
        return None
    wanted = ",".join(f"{lo}-{hi}" for lo, hi in [*reserved, (min(ports), max(ports))])
    return (
        f"ports {', '.join(map(str, ports))} of the stack lie in the kernel's ephemeral range"
        f" {ephemeral[0]}-{ephemeral[1]} and are not reserved: a client retrying a stopped server"
        " can connect to itself on its port and keep it from starting again. Reserve them"
        f" (sudo sysctl -w net.ipv4.ip_local_reserved_ports={wanted}) or move the stack's"
        f" CONVEYOR_*_PORT settings below {ephemeral[0]}."
    )
