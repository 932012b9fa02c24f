"""The one-node cluster as a whole: `up` builds what is missing and starts everything in order,
`down` drains the node and puts the host back exactly as it was (ADR 0032).

Order of `up`: the Kubernetes binaries (control plane and node, built once into the cache), the host
record (taken before the first change), the project's bridge (the node address), the kubelet's
cgroup root, the control plane (`operators/local/kube`), containerd, the pause and project images
imported into it, kube-scheduler, CoreDNS (the pods' cluster DNS, built once into the cache, ADR
0057), the kubelet, kube-proxy, then the node's Ready condition. Every start is idempotent, so `up`
on a running cluster only checks it.

Order of `down`: the scheduler and controller manager stop (nothing reschedules), every pod is
deleted through the API so the kubelet releases sandboxes and addresses, then kubelet, kube-proxy,
CoreDNS, containerd, the API server and etcd stop, leftover shims end, and the host record is
restored (sysctls, iptables chains, mounts, cgroups, the bridge, directories). etcd's data stays, so
Deployments come back on the next `up`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from rich.console import Console

from operators.local.images.build import ImageBuilder
from operators.local.installs import ensure_installed
from operators.local.kube.cluster import KubeCluster
from operators.local.kube.credentials import NODE_NAME
from operators.local.kube.servers import SERVICE_CLUSTER_IP_RANGE
from operators.local.node import host
from operators.local.node.configs import CGROUP_ROOT
from operators.local.node.dns import CoreDns
from operators.local.node.pause import ensure_pause_archive
from operators.local.node.relay import NodeRelay
from operators.local.node.servers import Containerd, Kubelet, KubeProxy, KubeScheduler
from operators.local.node.settings import NodeSettings
from operators.local.servers import Server, ServerError, ServerStatus
from operators.local.settings import LocalStackSettings

NODE_READY_TIMEOUT_S = 60
DRAIN_TIMEOUT_S = 90


class NodeCluster:
    def __init__(
        self,
        settings: LocalStackSettings | None = None,
        *,
        node: NodeSettings | None = None,
        images: ImageBuilder | None = None,
    ) -> None:
        self.settings = settings or LocalStackSettings()
        self.node = node or NodeSettings()
        self.kube = KubeCluster(self.settings)
        self.images = images
        api = self.kube.apiserver
        self.containerd = Containerd(self.settings, node=self.node, apiserver=api)
        self.scheduler = KubeScheduler(self.settings, node=self.node, apiserver=api)
        self.kube_proxy = KubeProxy(self.settings, node=self.node, apiserver=api)
        self.kubelet = Kubelet(self.settings, node=self.node, apiserver=api)
        self.dns = CoreDns(self.settings, node=self.node, apiserver=api)
        self.node_servers: tuple[Server, ...] = (
            self.containerd,
            self.scheduler,
            self.kube_proxy,
            self.dns,
            self.kubelet,
        )
        self.relays = (
            NodeRelay(
                self.settings,
                target="postgres",
                port=self.settings.postgres_port,
                node_ip=self.node.node_ip,
            ),
            NodeRelay(
                self.settings,
                target="redis",
                port=self.settings.redis_port,
                node_ip=self.node.node_ip,
            ),
            # Kafka's NODE listener advertises this very address (ADR 0038).
            NodeRelay(
                self.settings,
                target="kafka",
                port=self.settings.kafka_node_port,
                node_ip=self.node.node_ip,
            ),
            # The API server advertises the node address: the `kubernetes` Service leads pods
            # (the operator) here (ADR 0045); the fake card provider serves the payment pods.
            NodeRelay(
                self.settings,
                target="kube-apiserver",
                port=self.settings.kube_apiserver_port,
                node_ip=self.node.node_ip,
            ),
            NodeRelay(
                self.settings,
                target="payment-provider",
                port=self.settings.payment_provider_port,
                node_ip=self.node.node_ip,
            ),
        )
        self.paths = self.containerd.paths
        self.record = host.HostRecord(self.paths.root / "host-before.json")

    def host_state(self) -> host.HostState:
        return host.snapshot(
            node_root=self.paths.root, cgroup_root=CGROUP_ROOT, bridge=self.node.node_bridge
        )

    def up(self, console: Console) -> list[str]:
        if os.geteuid() != 0:
            raise ServerError("a node needs root (bridges, cgroups, iptables): run as root")
        servers = (*self.node_servers, *self.relays)
        ensure_installed([r for s in servers for r in s.requirements()], console)
        self.kube.apiserver.binaries.ensure(console)
        self.kubelet.binaries.ensure(console)
        self.record.save_once(self.host_state())
        host.create_bridge(
            self.node.node_bridge, address=self.node.node_ip, prefix_len=self.node.prefix_len
        )
        host.route_to_bridge(self.node.node_bridge, network=SERVICE_CLUSTER_IP_RANGE)
        host.create_cgroup_root(CGROUP_ROOT)
        started = self.kube.up(console)
        if self.containerd.start(console):
            started.append(self.containerd.name)
        self.load_images(console)
        # The pods' DNS answers before the kubelet starts any pod that may ask it.
        for server in (self.scheduler, self.dns, self.kubelet, self.kube_proxy):
            if server.start(console):
                started.append(server.name)
        for relay in self.relays:
            if relay.start(console):
                started.append(relay.name)
        self._wait_node_ready(console)
        return started

    def load_images(self, console: Console) -> None:
        archives = [ensure_pause_archive(self.settings, console)]
        built = self.images.built() if self.images is not None else []
        archives += [Path(image.archive) for image in built]
        for archive in archives:
            self._ctr(["images", "import", str(archive)])
        # `ctr import` names images by tag; pods name them by digest (`repository@sha256:…`).
        for image in built:
            self._ctr(["images", "tag", "--force", image.ref, image.pinned])
        console.print(f"  [green]✓[/] images in containerd: {', '.join(a.stem for a in archives)}")

    def _ctr(self, args: list[str]) -> None:
        result = self.containerd.ctr(["-n", "k8s.io", *args])
        if result.returncode != 0:
            raise ServerError(f"ctr {' '.join(args)} failed: {result.stderr.strip()}")

    def _wait_node_ready(self, console: Console) -> None:
        deadline = time.monotonic() + NODE_READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.node_ready():
                console.print(f"  [green]✓[/] node {NODE_NAME} Ready at {self.node.node_ip}")
                return
            time.sleep(0.5)
        raise ServerError(
            f"node {NODE_NAME} not Ready within {NODE_READY_TIMEOUT_S} s; "
            f"see {self.kubelet.process.log_file}"
        )

    def node_ready(self) -> bool:
        result = self.kube.kubectl(["get", "node", NODE_NAME, "-o", "json"], check=False)
        if result.returncode != 0:
            return False
        conditions = json.loads(result.stdout).get("status", {}).get("conditions", [])
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

    def down(self, console: Console, *, keep_control_plane: bool = False) -> list[str]:
        """Drain, stop, restore; `keep_control_plane` leaves etcd, the API server and the
        controller manager running (for the API-server-only tests sharing them)."""
        stopped = [self.scheduler.name] if self.scheduler.stop() else []
        if not keep_control_plane and self.kube.controller_manager.stop():
            stopped.append(self.kube.controller_manager.name)
        if self.kube.apiserver.probe() and self.kubelet.probe():
            self._drain(console)
        for server in (*self.relays, self.kubelet, self.kube_proxy, self.dns, self.containerd):
            if server.stop():
                stopped.append(server.name)
        if not keep_control_plane:
            stopped += self.kube.down()
        self._end_shims()
        before = self.record.load()
        if before is not None:
            host.restore(
                before,
                node_root=self.paths.root,
                cgroup_root=CGROUP_ROOT,
                bridge=self.node.node_bridge,
            )
            self.record.forget()
        return stopped

    def _drain(self, console: Console) -> None:
        """Delete every pod through the API and wait until the kubelet has let them go."""
        self.kube.kubectl(["delete", "pods", "--all", "-A", "--wait=false"], check=False)
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while time.monotonic() < deadline:
            listed = self.kube.kubectl(["get", "pods", "-A", "-o", "name"], check=False)
            if listed.returncode == 0 and not listed.stdout.strip():
                return
            time.sleep(0.5)
        console.print("  [yellow]pods still terminating; forcing the teardown[/]")

    def _end_shims(self) -> None:
        """containerd's shims outlive it by design; those of this node's socket are ended."""
        socket = str(self.paths.containerd_socket)
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                argv = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv and argv[0].endswith(b"containerd-shim-runc-v2") and socket.encode() in argv:
                try:
                    os.kill(int(proc.name), signal.SIGKILL)
                except ProcessLookupError:
                    continue

    def status(self) -> list[ServerStatus]:
        servers = (*self.node_servers, *self.relays)
        return [*self.kube.status(), *(s.status() for s in servers)]

    def kubectl(self, args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.kube.kubectl(args, check=check)
