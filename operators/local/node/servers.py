"""containerd, kubelet, kube-scheduler and kube-proxy as local servers of the node.

Each runs as a supervised process like the rest of the local stack (pid file, log, readiness
probe, idempotent start). containerd listens on a socket in the node's folder; the kubelet
serves on the node address (the project's bridge) and answers health on loopback; scheduler
and kube-proxy talk to the API server on loopback with the admin identity, the kubelet with the
node's own (`system:node:<name>`, authorized by the Node authorizer). Probes are real requests:
containerd's version over its socket, the kubelet's and kube-proxy's /healthz, the scheduler's.
"""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import httpx
from rich.console import Console

from operators.local.installs import Requirement, binary
from operators.local.kube.binaries import NODE_COMMANDS, KubernetesBinaries
from operators.local.kube.credentials import ADMIN, NODE, NODE_NAME
from operators.local.kube.servers import KubeApiServer
from operators.local.node import configs
from operators.local.node.configs import NodePaths
from operators.local.node.settings import NodeSettings
from operators.local.servers.base import Server
from operators.local.settings import LocalStackSettings


def _healthz(url: str, *, insecure: bool = False) -> bool:
    context: ssl.SSLContext | bool = True
    if insecure:  # a self-signed serving certificate on loopback; nothing secret is sent
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        response = httpx.get(url, verify=context, timeout=2.0)
    except (httpx.HTTPError, OSError):
        return False
    return response.status_code == httpx.codes.OK


class NodeServer(Server):
    def __init__(
        self, settings: LocalStackSettings, *, node: NodeSettings, apiserver: KubeApiServer
    ) -> None:
        super().__init__(settings)
        self.node = node
        self.apiserver = apiserver
        self.paths = NodePaths(settings.state_dir / "node")
        self.binaries = KubernetesBinaries(
            cache_dir=settings.cache_dir,
            version=settings.kubernetes_version,
            commands=NODE_COMMANDS,
        )


class Containerd(NodeServer):
    name = "containerd"

    @property
    def port(self) -> int:
        return self.node.containerd_metrics_port

    @property
    def port_setting(self) -> str:
        return "CONVEYOR_CONTAINERD_METRICS_PORT"

    def requirements(self) -> list[Requirement]:
        return [
            binary("containerd", "containerd (the node's container runtime)", "containerd"),
            binary("runc", "runc (crun refuses this kernel's hybrid cgroups)", "runc"),
            Requirement(
                "the CNI plugins (bridge, host-local, portmap, loopback)",
                ("containernetworking-plugins",),
                (Path(configs.CNI_BIN_DIR) / "bridge").exists,
            ),
            binary("catatonit", "catatonit (the pods' pause process)", "catatonit"),
            binary("iptables", "iptables (kube-proxy, the kubelet)", "iptables"),
            binary("conntrack", "conntrack (kube-proxy)", "conntrack"),
        ]

    def prepare(self, console: Console) -> None:
        for folder in (self.dir, self.paths.containerd_root, self.paths.containerd_state):
            self.ensure_dir(folder)
        self.ensure_dir(self.paths.cni_conf_dir)
        self.ensure_dir(self.paths.cni_ipam_dir)
        self.paths.containerd_config.write_text(configs.containerd_config(self.paths, self.node))
        (self.paths.cni_conf_dir / "10-conveyor.conflist").write_text(
            configs.cni_conflist(self.paths, self.node)
        )

    def command(self) -> list[str]:
        return ["containerd", "--config", str(self.paths.containerd_config)]

    def ctr(self, args: list[str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["ctr", "--address", str(self.paths.containerd_socket), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )

    def probe(self) -> bool:
        return self.paths.containerd_socket.exists() and self.ctr(["version"]).returncode == 0


class Kubelet(NodeServer):
    name = "kubelet"

    @property
    def port(self) -> int:
        return self.node.kubelet_healthz_port

    @property
    def port_setting(self) -> str:
        return "CONVEYOR_KUBELET_HEALTHZ_PORT (and CONVEYOR_KUBELET_PORT on the node address)"

    def requirements(self) -> list[Requirement]:
        return []

    def prepare(self, console: Console) -> None:
        self.ensure_dir(self.dir)
        self.ensure_dir(self.paths.kubelet_root)
        self.ensure_dir(self.paths.pod_logs)
        self.paths.kubelet_config.write_text(
            configs.kubelet_config(
                self.paths, self.node, ca_cert=self.apiserver.credentials.ca_cert
            )
        )

    def command(self) -> list[str]:
        return [
            str(self.binaries.path("kubelet")),
            f"--config={self.paths.kubelet_config}",
            f"--kubeconfig={self.apiserver.credentials.kubeconfig(NODE)}",
            f"--root-dir={self.paths.kubelet_root}",
            f"--cert-dir={self.paths.kubelet_root / 'pki'}",
            f"--hostname-override={NODE_NAME}",
            f"--node-ip={self.node.node_ip}",
            "--v=1",
        ]

    def probe(self) -> bool:
        return _healthz(f"http://127.0.0.1:{self.port}/healthz")


class KubeScheduler(NodeServer):
    name = "kube-scheduler"

    @property
    def port(self) -> int:
        return self.node.kube_scheduler_port

    @property
    def port_setting(self) -> str:
        return "CONVEYOR_KUBE_SCHEDULER_PORT"

    def requirements(self) -> list[Requirement]:
        return []

    def prepare(self, console: Console) -> None:
        self.ensure_dir(self.dir)

    def command(self) -> list[str]:
        kubeconfig = self.apiserver.credentials.kubeconfig(ADMIN)
        return [
            str(self.binaries.path("kube-scheduler")),
            f"--kubeconfig={kubeconfig}",
            f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}",
            "--bind-address=127.0.0.1",
            f"--secure-port={self.port}",
            f"--cert-dir={self.dir}",
            "--leader-elect=false",
            "--profiling=false",
            "--v=1",
        ]

    def probe(self) -> bool:
        return _healthz(f"https://127.0.0.1:{self.port}/healthz", insecure=True)


class KubeProxy(NodeServer):
    name = "kube-proxy"

    @property
    def port(self) -> int:
        return self.node.kube_proxy_healthz_port

    @property
    def port_setting(self) -> str:
        return "CONVEYOR_KUBE_PROXY_HEALTHZ_PORT (and CONVEYOR_KUBE_PROXY_METRICS_PORT)"

    def requirements(self) -> list[Requirement]:
        return []

    def prepare(self, console: Console) -> None:
        self.ensure_dir(self.dir)
        self.paths.kube_proxy_config.write_text(
            configs.kube_proxy_config(
                self.node, kubeconfig=self.apiserver.credentials.kubeconfig(ADMIN)
            )
        )

    def command(self) -> list[str]:
        return [
            str(self.binaries.path("kube-proxy")),
            f"--config={self.paths.kube_proxy_config}",
            "--v=1",
        ]

    def probe(self) -> bool:
        return _healthz(f"http://127.0.0.1:{self.port}/healthz")
