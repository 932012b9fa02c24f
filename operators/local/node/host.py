"""What the node changes on the host, recorded before `up` and put back by `down`.

kubelet, kube-proxy, containerd and the CNI plugins change host-wide state (measured on this
machine, see docs/adr/0032): sysctls (`vm.overcommit_memory`, `kernel.panic`,
`kernel.panic_on_oops`, `net.ipv4.ip_forward`…), iptables chains (`KUBE-*`, `CNI-*`, in
IPv4 and IPv6), cgroups under the kubelet's root, bind mounts (the kubelet's root, netns files),
directories under /var and /run, and the project's bridge. `snapshot()` reads all of it; `up`
stores the snapshot taken before anything changed (kept across repeated `up`s) and `restore()`
puts every sysctl back, removes the chains, mounts, cgroups, bridge and the directories that did
not exist before, then deletes the record. `leftovers(before)` names whatever still differs,
which the teardown test asserts is nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

SYSCTLS = (
    "vm/overcommit_memory",
    "kernel/panic",
    "kernel/panic_on_oops",
    "net/ipv4/ip_forward",
    "net/ipv4/conf/all/route_localnet",
    "net/ipv6/conf/all/forwarding",
)
# Created by kubelet, containerd or libcni whatever their configured roots are.
GLOBAL_PATHS = (
    "/run/containerd",
    "/run/runc",
    "/run/netns",
    "/var/lib/kubelet",
    "/var/lib/cni",
    "/var/log/pods",
    "/var/log/containers",
    "/opt/containerd",
    "/etc/cni",
)
NETNS = "/run/netns"
CHAIN_PREFIXES = ("KUBE-", "CNI-")
TABLES = ("filter", "nat", "mangle")
CGROUP_FS = Path("/sys/fs/cgroup")
_CPUSET_FILES = ("cpuset.cpus", "cpuset.mems")


@dataclass(frozen=True)
class HostState:
    sysctls: dict[str, str]
    paths: list[str]  # of GLOBAL_PATHS, those that exist
    chains: list[str]  # "iptables/nat/KUBE-SERVICES"
    mounts: list[str]  # mount points under the node's folder, the global paths, netns files
    cgroups: list[str]  # the kubelet's cgroup root in each hierarchy, where it exists
    links: list[str]  # the project's bridge, if it exists


def _sysctl(name: str) -> str | None:
    try:
        return (Path("/proc/sys") / name).read_text().strip()
    except OSError:
        return None


def _chains() -> list[str]:
    found: list[str] = []
    for tool in ("iptables", "ip6tables"):
        for table in TABLES:
            for line in _save(tool, table).splitlines():
                if line.startswith(":") and line[1:].startswith(CHAIN_PREFIXES):
                    found.append(f"{tool}/{table}/{line[1:].split()[0]}")
    return found


def _save(tool: str, table: str) -> str:
    if shutil.which(f"{tool}-save") is None:
        return ""
    result = subprocess.run(
        [f"{tool}-save", "-t", table], capture_output=True, text=True, check=False
    )
    return result.stdout if result.returncode == 0 else ""


def _mounts(node_root: Path) -> list[str]:
    # /run/netns is shared with anyone's `ip netns`: only containerd's `cni-*` files are ours.
    watched = (str(node_root), *(p for p in GLOBAL_PATHS if p != NETNS))
    points: list[str] = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if any(point == w or point.startswith(w + "/") for w in watched) or point.startswith(
            f"{NETNS}/cni-"
        ):
            points.append(point)
    return points


def _cgroups(cgroup_root: str) -> list[str]:
    if not CGROUP_FS.is_dir():
        return []
    return sorted(
        str(h / cgroup_root.strip("/"))
        for h in CGROUP_FS.iterdir()
        if not h.is_symlink() and (h / cgroup_root.strip("/")).is_dir()
    )


def snapshot(*, node_root: Path, cgroup_root: str, bridge: str) -> HostState:
    return HostState(
        sysctls={n: v for n in SYSCTLS if (v := _sysctl(n)) is not None},
        paths=[p for p in GLOBAL_PATHS if os.path.lexists(p)],
        chains=_chains(),
        mounts=_mounts(node_root),
        cgroups=_cgroups(cgroup_root),
        links=[bridge] if Path(f"/sys/class/net/{bridge}").exists() else [],
    )


def leftovers(before: HostState, after: HostState) -> list[str]:
    """Human-readable differences: what a teardown failed to put back."""
    found = [
        f"sysctl {name}: {before.sysctls.get(name)} → {value}"
        for name, value in after.sysctls.items()
        if before.sysctls.get(name) != value
    ]
    for field in ("paths", "chains", "mounts", "cgroups", "links"):
        extra = sorted(set(getattr(after, field)) - set(getattr(before, field)))
        found.extend(f"{field}: {item}" for item in extra)
    return found


class HostRecord:
    """The snapshot taken before the first `up`, kept in the node's folder until `down`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def save_once(self, state: HostState) -> None:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(asdict(state), indent=2) + "\n")

    def load(self) -> HostState | None:
        if not self.path.exists():
            return None
        return HostState(**json.loads(self.path.read_text()))

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)


def create_cgroup_root(cgroup_root: str) -> None:
    """kubelet (cgroupfs driver, v1) wants its root in every hierarchy, cpuset filled in."""
    for hierarchy in sorted(CGROUP_FS.iterdir()):
        if hierarchy.is_symlink() or not (hierarchy / "cgroup.procs").exists():
            continue
        target = hierarchy / cgroup_root.strip("/")
        target.mkdir(exist_ok=True)
        for name in _CPUSET_FILES:
            if (target / name).exists() and not (target / name).read_text().strip():
                (target / name).write_text((hierarchy / name).read_text())


def create_bridge(bridge: str, *, address: str, prefix_len: int) -> None:
    if not Path(f"/sys/class/net/{bridge}").exists():
        _ip(["link", "add", bridge, "type", "bridge"])
    argv = ["ip", "-4", "-o", "addr", "show", "dev", bridge]
    shown = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    if f" {address}/" not in shown:
        _ip(["addr", "add", f"{address}/{prefix_len}", "dev", bridge])
    _ip(["link", "set", bridge, "up"])


def route_to_bridge(bridge: str, *, network: str) -> None:
    """Send `network` (the Service IPs) to the bridge: a ClusterIP this machine calls is
    rewritten by kube-proxy, and should a rule be missing the packet still stays on the
    project's bridge instead of following the default route off the machine. The route goes
    with the bridge."""
    _ip(["route", "replace", network, "dev", bridge])


def restore(before: HostState, *, node_root: Path, cgroup_root: str, bridge: str) -> None:
    """Undo everything `snapshot` watches; safe to run again, and when nothing was changed."""
    for name, value in before.sysctls.items():
        if _sysctl(name) != value:
            (Path("/proc/sys") / name).write_text(value + "\n")
    _remove_chains(before)
    _unmount(before, node_root)
    for path in _cgroups(cgroup_root):
        if path not in before.cgroups:
            _remove_cgroup(Path(path))
    if bridge not in before.links and Path(f"/sys/class/net/{bridge}").exists():
        _ip(["link", "del", bridge])
    for path in GLOBAL_PATHS:
        if path not in before.paths and os.path.lexists(path):
            if path == NETNS:  # others may have made namespaces there since: only if empty
                subprocess.run(["umount", path], capture_output=True, check=False)
                with contextlib.suppress(OSError):
                    os.rmdir(path)
            else:
                shutil.rmtree(path, ignore_errors=True)


def _remove_chains(before: HostState) -> None:
    ours = set(_chains()) - set(before.chains)
    for tool in ("iptables", "ip6tables"):
        for table in TABLES:
            names = {c.rsplit("/", 1)[1] for c in ours if c.startswith(f"{tool}/{table}/")}
            if not names:
                continue
            # First the rules of other chains that jump into ours, then ours: flush, delete.
            for line in _save(tool, table).splitlines():
                parts = shlex.split(line) if line.startswith("-A ") else []
                if parts and parts[1] not in names and _jumps_to(parts, names):
                    _iptables(tool, table, ["-D", *parts[1:]])
            for name in names:
                _iptables(tool, table, ["-F", name])
            for name in names:
                _iptables(tool, table, ["-X", name])


def _jumps_to(parts: list[str], names: set[str]) -> bool:
    return any(
        p in {"-j", "-g"} and i + 1 < len(parts) and parts[i + 1] in names
        for i, p in enumerate(parts)
    )


def _unmount(before: HostState, node_root: Path) -> None:
    # Deepest first; lazily, so a mount still busy for a moment does not stop the teardown.
    for point in sorted(set(_mounts(node_root)) - set(before.mounts), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)
        if point.startswith("/run/netns/"):  # containerd's netns files, now plain files
            Path(point).unlink(missing_ok=True)


def _remove_cgroup(path: Path) -> None:
    # Whatever still runs under the kubelet's root is a container of ours: end it first.
    for procs in path.rglob("cgroup.procs"):
        for pid in procs.read_text().split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
    for child in sorted((p for p in path.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        with contextlib.suppress(OSError):
            child.rmdir()
    with contextlib.suppress(OSError):
        path.rmdir()


def _ip(args: list[str]) -> None:
    subprocess.run(["ip", *args], capture_output=True, text=True, check=True)


def _iptables(tool: str, table: str, args: list[str]) -> None:
    subprocess.run([tool, "-w", "-t", table, *args], capture_output=True, check=False)
