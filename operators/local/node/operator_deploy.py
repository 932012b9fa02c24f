"""The operator in a pod on the local node, from the image built here, pinned by digest (ADR 0045).

`operators/deploy/` is the one description of how the operator runs (namespace, ServiceAccount,
RBAC, peering, Deployment); its committed Deployment names the registry's image by a digest
(checkov requires one). Locally there is no registry: `rendered` takes those very manifests and
changes only what the node needs — the image becomes `localhost/conveyor-operator@sha256:…`, the
digest `conveyor images build` recorded for the archive `cluster up` imported into containerd,
pulled `Never` (nothing to pull from), one replica (the machine is small; peering is exercised
by the API-server tests), and a host alias for `kubernetes.default.svc` — the name kopf's
in-cluster login uses — to the `kubernetes` Service's address, as there is no cluster DNS here
(ADR 0032); kube-proxy takes it to the API server's relay on the node address. Everything else
— ServiceAccount, security context, probes, limits — is applied exactly as committed, so what
runs here is what a cluster gets.

Failure behaviour: no recorded operator image, a Deployment that does not roll out, or pods that
never write their peering record (they cannot reach the API server) raise `ServerError` naming
the command that fixes it or the logs to read.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from operators.local.images.build import BuiltImage
from operators.local.kube.cluster import KubeCluster
from operators.local.kube.credentials import SERVICE_IP
from operators.local.servers import ServerError
from operators.paths import REPO_ROOT

DEPLOY_DIR = REPO_ROOT / "operators" / "deploy"
NAMESPACE = "conveyor-system"
NAME = "conveyor-operator"
ROLLOUT_TIMEOUT_S = 180
LOCAL_REPLICAS = 1
API_HOSTNAME = "kubernetes.default.svc"


def rendered(
    image: str, *, api_service_ip: str = SERVICE_IP, deploy_dir: Path = DEPLOY_DIR
) -> list[dict[str, Any]]:
    """Every object of `deploy_dir`, the operator's image replaced by `image` (pure)."""
    documents: list[dict[str, Any]] = []
    for path in sorted(deploy_dir.glob("*.yaml")):
        documents += [d for d in yaml.safe_load_all(path.read_text()) if d]
    deployments = [d for d in documents if d["kind"] == "Deployment"]
    if [d["metadata"]["name"] for d in deployments] != [NAME]:
        raise ValueError(f"{deploy_dir} must hold exactly one Deployment, {NAME}")
    deployment = deployments[0]
    deployment["spec"]["replicas"] = LOCAL_REPLICAS
    pod = deployment["spec"]["template"]["spec"]
    # No cluster DNS here (ADR 0032), and kopf's in-cluster login asks for this very name.
    pod["hostAliases"] = [{"ip": api_service_ip, "hostnames": [API_HOSTNAME]}]
    for container in pod["containers"]:
        container["image"] = image
        container["imagePullPolicy"] = "Never"
    return documents


def deploy(kube: KubeCluster, operator_image: BuiltImage | None, console: Console) -> str:
    """Apply the CRDs and the rendered operators/deploy; wait for the rollout. Returns the image."""
    if operator_image is None:
        raise ServerError(
            "no operator image recorded: run `conveyor images build operator`, then "
            "`conveyor cluster up` (it imports the image into the node)"
        )
    kube.install_operator_resources()
    objects = rendered(operator_image.pinned)
    kube.kubectl(
        ["apply", "-f", "-"],
        stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}),
    )
    deadline = time.monotonic() + ROLLOUT_TIMEOUT_S
    while True:  # kubectl calls are bounded (60 s), so the wait is split into rounds
        rollout = kube.kubectl(
            ["rollout", "status", f"deployment/{NAME}", "-n", NAMESPACE, "--timeout=30s"],
            check=False,
        )
        if rollout.returncode == 0:
            break
        if time.monotonic() > deadline:
            raise ServerError(
                f"the operator did not become Ready within {ROLLOUT_TIMEOUT_S} s "
                f"({rollout.stderr.strip() or rollout.stdout.strip()}); see "
                f"`kubectl -n {NAMESPACE} logs deployment/{NAME}`"
            )
    _wait_peered(kube, deadline)
    console.print(f"  [green]✓[/] operator Ready in {NAMESPACE}: {operator_image.pinned}")
    return operator_image.pinned


def _wait_peered(kube: KubeCluster, deadline: float) -> None:
    """Ready only says the probe answers; a pod that wrote its peering record has reached the
    API server in-cluster (token, CA, the `kubernetes` Service) under its ServiceAccount."""
    while True:
        pods = kube.kubectl(
            ["get", "pods", "-n", NAMESPACE, "-l", f"app.kubernetes.io/name={NAME}", "-o", "json"]
        )
        running = [
            p["metadata"]["name"]
            for p in json.loads(pods.stdout)["items"]
            if p.get("status", {}).get("phase") == "Running"
        ]
        peering = kube.kubectl(["get", "clusterkopfpeering", NAME, "-o", "json"], check=False)
        peers = json.loads(peering.stdout).get("status", {}) if peering.returncode == 0 else {}
        if running and all(any(f"@{pod}/" in peer for peer in peers) for pod in running):
            return
        if time.monotonic() > deadline:
            raise ServerError(
                f"operator pods {running} never registered in ClusterKopfPeering {NAME}: they "
                f"do not reach the API server; see `kubectl -n {NAMESPACE} logs "
                f"deployment/{NAME}`"
            )
        time.sleep(1)
