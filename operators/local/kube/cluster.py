"""The local Kubernetes control plane as a whole: build once, start in order, stop in reverse.

Separate from the commerce stack (`conveyor local up`): only the operator's tests and a developer
trying the operator need it. State sits beside the rest of the local stack (`.local/`).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from operators.local.installs import ensure_installed
from operators.local.kube.credentials import ADMIN, Credentials, Identity
from operators.local.kube.servers import Etcd, KubeApiServer, KubeControllerManager
from operators.local.servers import Server, ServerStatus
from operators.local.settings import LocalStackSettings
from operators.paths import REPO_ROOT


class KubeCluster:
    def __init__(self, settings: LocalStackSettings | None = None) -> None:
        self.settings = settings or LocalStackSettings()
        self.etcd = Etcd(self.settings)
        self.apiserver = KubeApiServer(self.settings, etcd=self.etcd)
        self.controller_manager = KubeControllerManager(self.settings, apiserver=self.apiserver)
        self.servers: tuple[Server, ...] = (self.etcd, self.apiserver, self.controller_manager)

    @property
    def credentials(self) -> Credentials:
        return self.apiserver.credentials

    def kubeconfig(self, identity: Identity = ADMIN) -> Path:
        return self.credentials.kubeconfig(identity)

    @property
    def kubectl_path(self) -> Path:
        return self.apiserver.binaries.path("kubectl")

    def up(self, console: Console) -> list[str]:
        ensure_installed([req for s in self.servers for req in s.requirements()], console)
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        return [server.name for server in self.servers if server.start(console)]

    def down(self) -> list[str]:
        return [server.name for server in reversed(self.servers) if server.stop()]

    def status(self) -> list[ServerStatus]:
        return [server.status() for server in self.servers]

    def install_operator_resources(self) -> None:
        """The CRDs (OrderPipeline, kopf peering), then the operator's namespace, peering, RBAC.

        The operator's Deployment is left out: there is no kubelet to run it; tests and the
        benchmark run the operator as a local process under its ServiceAccount identity instead.
        """
        self.kubectl(["apply", "-f", str(REPO_ROOT / "operators" / "crds")])
        self.kubectl(["wait", "--for=condition=Established", "--timeout=30s", "crd", "--all"])
        for manifest in ("namespace.yaml", "peering.yaml", "rbac.yaml"):
            self.kubectl(["apply", "-f", str(REPO_ROOT / "operators" / "deploy" / manifest)])

    def kubectl(
        self,
        args: Sequence[str],
        *,
        identity: Identity = ADMIN,
        stdin: str | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run the matching kubectl against the local API server."""
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig(identity))}
        result = subprocess.run(
            [str(self.kubectl_path), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=60,
        )
        if check and result.returncode != 0:
            raise subprocess.CalledProcessError(
                result.returncode, ["kubectl", *args], result.stdout, result.stderr
            )
        return result
