"""Certificates, keys, tokens and kubeconfigs of the local Kubernetes API server.

Everything is generated once with `openssl` into `.local/kube/pki` (0600, git-ignored) and reused:
a CA and a serving certificate for 127.0.0.1, the service-account signing key pair, and static
bearer tokens for two identities. The admin identity (group system:masters) is for tests and the
controller manager. The operator identity authenticates exactly as the operator's in-cluster
ServiceAccount would (`system:serviceaccount:conveyor-system:conveyor-operator`), so the RBAC in
operators/deploy/ is what authorizes the operator in tests: a missing permission fails there.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from operators.local.secrets import read_or_create

OPERATOR_NAMESPACE = "conveyor-system"
OPERATOR_SERVICE_ACCOUNT = "conveyor-operator"
OPERATOR_USER = f"system:serviceaccount:{OPERATOR_NAMESPACE}:{OPERATOR_SERVICE_ACCOUNT}"
SERVICE_IP = "10.96.0.1"


@dataclass(frozen=True)
class Identity:
    name: str
    user: str
    groups: tuple[str, ...]


ADMIN = Identity("admin", "conveyor-admin", ("system:masters",))
# The one node's kubelet (`conveyor cluster up`), authorized by the Node authorizer by this name.
NODE_NAME = "conveyor-node"
NODE = Identity("node", f"system:node:{NODE_NAME}", ("system:nodes",))
OPERATOR = Identity(
    "operator",
    OPERATOR_USER,
    ("system:serviceaccounts", f"system:serviceaccounts:{OPERATOR_NAMESPACE}"),
)


class Credentials:
    def __init__(self, root: Path, *, server: str) -> None:
        self.pki = root / "pki"
        self.root = root
        self.server = server

    @property
    def ca_cert(self) -> Path:
        return self.pki / "ca.crt"

    @property
    def serving_cert(self) -> Path:
        return self.pki / "apiserver.crt"

    @property
    def serving_key(self) -> Path:
        return self.pki / "apiserver.key"

    @property
    def service_account_key(self) -> Path:
        return self.pki / "sa.key"

    @property
    def service_account_pub(self) -> Path:
        return self.pki / "sa.pub"

    @property
    def kubelet_client_cert(self) -> Path:
        """The API server's identity towards kubelets (logs, exec): a client certificate."""
        return self.pki / "kubelet-client.crt"

    @property
    def kubelet_client_key(self) -> Path:
        return self.pki / "kubelet-client.key"

    @property
    def token_file(self) -> Path:
        return self.pki / "tokens.csv"

    def token(self, identity: Identity) -> str:
        return read_or_create(self.pki / f"{identity.name}.token")

    def kubeconfig(self, identity: Identity) -> Path:
        return self.root / f"{identity.name}.kubeconfig"

    def ensure(self) -> None:
        """Create whatever is missing; existing material is kept so clients stay valid."""
        self.pki.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.ca_cert.exists():
            _openssl(
                [
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "3650",
                    "-keyout",
                    str(self.pki / "ca.key"),
                    "-out",
                    str(self.ca_cert),
                    "-subj",
                    "/CN=conveyor-local-kubernetes-ca",
                ]
            )
            self.serving_cert.unlink(missing_ok=True)
        if not self.serving_cert.exists():
            self._issue_serving_cert()
        if not self.service_account_key.exists():
            _openssl(["genrsa", "-out", str(self.service_account_key), "2048"])
            self.service_account_pub.unlink(missing_ok=True)
        if not self.service_account_pub.exists():
            _openssl(
                [
                    "rsa",
                    "-in",
                    str(self.service_account_key),
                    "-pubout",
                    "-out",
                    str(self.service_account_pub),
                ]
            )
        identities = (ADMIN, OPERATOR, NODE)
        rows = [f'{self.token(i)},{i.user},{i.user},"{",".join(i.groups)}"' for i in identities]
        self.token_file.write_text("\n".join(rows) + "\n")
        self.token_file.chmod(0o600)
        for identity in (ADMIN, OPERATOR, NODE):
            self._write_kubeconfig(identity)
        if not self.kubelet_client_cert.exists():
            self._issue_kubelet_client_cert()
        for path in self.pki.iterdir():
            path.chmod(0o600)

    def _issue_serving_cert(self) -> None:
        csr = self.pki / "apiserver.csr"
        ext = self.pki / "apiserver.ext"
        ext.write_text(
            f"subjectAltName=IP:127.0.0.1,DNS:localhost,IP:{SERVICE_IP},"
            "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n"
            "extendedKeyUsage=serverAuth\n"
        )
        _openssl(
            [
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                str(self.serving_key),
                "-out",
                str(csr),
                "-subj",
                "/CN=kube-apiserver",
            ]
        )
        _openssl(
            [
                "x509",
                "-req",
                "-in",
                str(csr),
                "-CA",
                str(self.ca_cert),
                "-CAkey",
                str(self.pki / "ca.key"),
                "-CAcreateserial",
                "-days",
                "825",
                "-out",
                str(self.serving_cert),
                "-extfile",
                str(ext),
            ]
        )

    def _issue_kubelet_client_cert(self) -> None:
        csr = self.pki / "kubelet-client.csr"
        _openssl(
            [
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                str(self.kubelet_client_key),
                "-out",
                str(csr),
                "-subj",
                "/O=system:masters/CN=kube-apiserver-kubelet-client",
            ]
        )
        ext = self.pki / "kubelet-client.ext"
        ext.write_text("extendedKeyUsage=clientAuth\n")
        _openssl(
            [
                "x509",
                "-req",
                "-in",
                str(csr),
                "-CA",
                str(self.ca_cert),
                "-CAkey",
                str(self.pki / "ca.key"),
                "-CAcreateserial",
                "-days",
                "825",
                "-out",
                str(self.kubelet_client_cert),
                "-extfile",
                str(ext),
            ]
        )

    def _write_kubeconfig(self, identity: Identity) -> None:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "conveyor-local",
                    "cluster": {
                        "server": self.server,
                        "certificate-authority": str(self.ca_cert),
                    },
                }
            ],
            "users": [{"name": identity.name, "user": {"token": self.token(identity)}}],
            "contexts": [
                {
                    "name": f"conveyor-local-{identity.name}",
                    "context": {
                        "cluster": "conveyor-local",
                        "user": identity.name,
                        "namespace": "default",
                    },
                }
            ],
            "current-context": f"conveyor-local-{identity.name}",
        }
        path = self.kubeconfig(identity)
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        path.chmod(0o600)


def _openssl(args: list[str]) -> None:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {result.stderr.strip()}")
