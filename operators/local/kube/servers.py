"""etcd, kube-apiserver and kube-controller-manager as local servers on loopback.

Enough of a control plane for the operator's tests to be about real API behaviour: the API server
validates the CRD's OpenAPI schema and CEL rules, serves status and scale subresources and
admission; the controller manager runs the garbage collector (owner references really delete
children), the Deployment and ReplicaSet controllers (Deployment status is computed, not faked),
the namespace and service-account controllers. There is no scheduler and no kubelet: pods are
created but never run, so tests assert on API objects. etcd keeps its data on disk; the API server
stores nothing else, so stopping and starting the three keeps the cluster's content.
"""

from __future__ import annotations

import ssl

import httpx
from rich.console import Console

from operators.local.installs import Requirement, binary
from operators.local.kube.binaries import KubernetesBinaries
from operators.local.kube.credentials import ADMIN, Credentials
from operators.local.node.settings import NodeSettings
from operators.local.servers.base import Server
from operators.local.settings import LocalStackSettings

SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/24"
# Controllers whose effects the operator relies on; the rest (nodes, volumes, cloud) have no
# kubelet or cloud to talk to here and would only add noise.
CONTROLLERS = (
    "garbage-collector-controller",
    "deployment-controller",
    "replicaset-controller",
    "namespace-controller",
    "serviceaccount-controller",
    "disruption-controller",
    "resourcequota-controller",
    # For a node (`conveyor cluster up`): Services' endpoints for kube-proxy, the CA ConfigMap
    # every pod's service-account volume mounts, Jobs, and clean-up of finished pods.
    "endpoints-controller",
    "endpointslice-controller",
    "root-ca-certificate-publisher-controller",
    "job-controller",
    "pod-garbage-collector-controller",
    "node-lifecycle-controller",  # lifts the not-ready taint once the kubelet reports Ready
)


class Etcd(Server):
    name = "etcd"

    @property
    def port(self) -> int:
        return self.settings.etcd_port

    @property
    def port_setting(self) -> str:
        return "CONVEYOR_ETCD_PORT"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def requirements(self) -> list[Requirement]:
        return [binary("etcd", "etcd (for the local Kubernetes API server)", "etcd-server")]

    def prepare(self, console: Console) -> None:
        self.ensure_dir(self.dir / "data")

    def command(self) -> list[str]:
        peer = f"http://{self.settings.host}:{self.settings.etcd_peer_port}"
        return [
            "etcd",
            "--name=conveyor",
            f"--data-dir={self.dir / 'data'}",
            f"--listen-client-urls={self.url}",
            f"--advertise-client-urls={self.url}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=conveyor={peer}",
            "--quota-backend-bytes=1073741824",
            "--log-level=warn",
        ]

    def probe(self) -> bool:
        try:
            response = httpx.get(f"{self.url}/health", timeout=1.0)
        except httpx.HTTPError:
            return False
        return response.status_code == httpx.codes.OK and response.json().get("health") == "true"


class KubeApiServer(Server):
    name = "kube-apiserver"

    def __init__(self, settings: LocalStackSettings, *, etcd: Etcd) -> None:
        super().__init__(settings)
        self.etcd = etcd
        self.binaries = KubernetesBinaries(
            cache_dir=settings.cache_dir, version=settings.kubernetes_version
        )
        self.credentials = Credentials(settings.state_dir / "kube", server=self.url)

    @property
    def port(self) -> int:
        return self.settings.kube_apiserver_port

    @property
    def port_setting(self) -> str:
        return "CONVEYOR_KUBE_APISERVER_PORT"

    @property
    def url(self) -> str:
        return f"https://{self.address}"

    def requirements(self) -> list[Requirement]:
        return [binary("openssl", "openssl (certificates of the local API server)", "openssl")]

    def prepare(self, console: Console) -> None:
        self.binaries.ensure(console)
        self.ensure_dir(self.dir)
        self.credentials.ensure()

    def command(self) -> list[str]:
        creds = self.credentials
        return [
            str(self.binaries.path("kube-apiserver")),
            f"--etcd-servers={self.etcd.url}",
            f"--bind-address={self.settings.host}",
            # The `kubernetes` Service's endpoint: the node address, where `cluster up` relays
            # to this loopback port, so pods reach the API server through kube-proxy (ADR 0045).
            f"--advertise-address={NodeSettings().node_ip}",
            f"--secure-port={self.port}",
            f"--tls-cert-file={creds.serving_cert}",
            f"--tls-private-key-file={creds.serving_key}",
            f"--client-ca-file={creds.ca_cert}",
            f"--token-auth-file={creds.token_file}",
            # Node: a kubelet (`conveyor cluster up`) may touch only its node's pods and secrets.
            "--authorization-mode=Node,RBAC",
            "--kubelet-preferred-address-types=InternalIP",
            f"--kubelet-client-certificate={creds.kubelet_client_cert}",
            f"--kubelet-client-key={creds.kubelet_client_key}",
            "--anonymous-auth=false",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-account-key-file={creds.service_account_pub}",
            f"--service-account-signing-key-file={creds.service_account_key}",
            f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
            "--allow-privileged=false",
            "--enable-priority-and-fairness=false",
            "--profiling=false",
            f"--audit-log-path={self.dir / 'audit.log'}",
            "--audit-log-maxsize=20",
            "--audit-log-maxbackup=1",
            "--v=1",
        ]

    def _ssl(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.credentials.ca_cert))

    def probe(self) -> bool:
        try:
            response = httpx.get(
                f"{self.url}/readyz",
                headers={"Authorization": f"Bearer {self.credentials.token(ADMIN)}"},
                verify=self._ssl(),
                timeout=2.0,
            )
        except (httpx.HTTPError, OSError):
            return False
        return response.status_code == httpx.codes.OK


class KubeControllerManager(Server):
    name = "kube-controller-manager"

    def __init__(self, settings: LocalStackSettings, *, apiserver: KubeApiServer) -> None:
        super().__init__(settings)
        self.apiserver = apiserver

    @property
    def port(self) -> int:
        return self.settings.kube_apiserver_port + 1

    @property
    def port_setting(self) -> str:
        return "CONVEYOR_KUBE_APISERVER_PORT (the controller manager uses the next port)"

    def requirements(self) -> list[Requirement]:
        return []

    def prepare(self, console: Console) -> None:
        self.ensure_dir(self.dir)

    def command(self) -> list[str]:
        creds = self.apiserver.credentials
        kubeconfig = creds.kubeconfig(ADMIN)
        return [
            str(self.apiserver.binaries.path("kube-controller-manager")),
            f"--kubeconfig={kubeconfig}",
            f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}",
            f"--bind-address={self.settings.host}",
            f"--secure-port={self.port}",
            f"--cert-dir={self.dir}",
            f"--controllers={','.join(CONTROLLERS)}",
            f"--service-account-private-key-file={creds.service_account_key}",
            f"--root-ca-file={creds.ca_cert}",
            "--use-service-account-credentials=false",
            "--leader-elect=false",
            "--concurrent-gc-syncs=5",
            "--profiling=false",
            "--v=1",
        ]

    def probe(self) -> bool:
        # /healthz is always allowed; the serving certificate is self-signed by the controller
        # manager itself, and this loopback probe sends nothing secret.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            response = httpx.get(f"https://{self.address}/healthz", verify=context, timeout=2.0)
        except (httpx.HTTPError, OSError):
            return False
        return response.status_code == httpx.codes.OK
