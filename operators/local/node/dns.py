"""Cluster DNS of the local node: CoreDNS on the node address, answering for Service names.

Pods resolve `<service>.<namespace>.svc.cluster.local` (and, through the search path the kubelet
writes into their resolv.conf, `<service>` within their namespace) to the Service's ClusterIP,
as on any cluster: the operator renders callee URLs with Service names (`http://conveyor-order:
8001`), which the gateway's pods must resolve. CoreDNS runs as a process of the node like
kube-proxy (no image needed), bound to the node address on port 53 (UDP and TCP), watching the
API server with the admin identity; the kubelet names that address as the pods' `clusterDNS`.

Only the cluster's zone is served: there is no `forward`, so a name outside it is answered with
an error and no query ever leaves the machine. Readiness is CoreDNS's `ready` plugin on loopback,
which answers 200 once the Kubernetes plugin has synced with the API server.
"""

from __future__ import annotations

import httpx
from rich.console import Console

from operators.local.installs import Requirement
from operators.local.kube.credentials import ADMIN
from operators.local.node.dns_build import CoreDnsBinary
from operators.local.node.servers import NodeServer

DNS_PORT = 53


def corefile(*, zone: str, node_ip: str, ready_port: int, kubeconfig: str) -> str:
    """The Corefile: the cluster zone and its reverse zones, from the API server, nothing else."""
    return (
        f".:{DNS_PORT} {{\n"
        f"    bind {node_ip}\n"
        f"    ready 127.0.0.1:{ready_port}\n"
        "    errors\n"
        "    cache 5\n"
        f"    kubernetes {zone} in-addr.arpa ip6.arpa {{\n"
        f"        kubeconfig {kubeconfig}\n"
        "    }\n"
        "}\n"
    )


class CoreDns(NodeServer):
    name = "coredns"

    @property
    def port(self) -> int:
        return self.node.coredns_ready_port

    @property
    def port_setting(self) -> str:
        return "CONVEYOR_COREDNS_READY_PORT (DNS itself: port 53 on the node address)"

    @property
    def dns_binary(self) -> CoreDnsBinary:
        return CoreDnsBinary(cache_dir=self.settings.cache_dir)

    def requirements(self) -> list[Requirement]:
        return []

    def prepare(self, console: Console) -> None:
        self.ensure_dir(self.dir)
        self.dns_binary.ensure(console)
        (self.dir / "Corefile").write_text(
            corefile(
                zone=self.node.cluster_domain,
                node_ip=self.node.node_ip,
                ready_port=self.port,
                kubeconfig=str(self.apiserver.credentials.kubeconfig(ADMIN)),
            )
        )

    def command(self) -> list[str]:
        return [str(self.dns_binary.path), "-conf", str(self.dir / "Corefile")]

    def probe(self) -> bool:
        try:
            response = httpx.get(f"http://127.0.0.1:{self.port}/ready", timeout=2.0)
        except (httpx.HTTPError, OSError):
            return False
        return response.status_code == httpx.codes.OK
