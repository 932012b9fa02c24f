"""A real kube-apiserver (with etcd and kube-controller-manager) and the operator running on it.

The control plane is started by the project's own runner (built once from the Go module proxy).
The operator runs as a separate process with the least-privilege identity of its ServiceAccount,
so the RBAC in operators/deploy/ is what it is tested with.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import pytest
from rich.console import Console

from operators.local.installs import MissingDependencyError
from operators.local.kube.binaries import BuildError
from operators.local.kube.cluster import KubeCluster
from operators.local.kube.operator_process import OperatorProcess, running_operator
from operators.local.servers import ServerError
from tests.integration.operators.controller.cluster_tools import Kubectl

OPERATOR_PORT = 18080


@pytest.fixture(scope="session")
def kube() -> KubeCluster:
    cluster = KubeCluster()
    try:
        cluster.up(Console(file=io.StringIO(), width=120))
    except (BuildError, MissingDependencyError, ServerError) as exc:
        pytest.fail(
            f"the local Kubernetes API server could not start:\n{exc}\n(run `make kube-up`)"
        )
    cluster.install_operator_resources()
    return cluster


@pytest.fixture(scope="session")
def kubectl(kube: KubeCluster) -> Kubectl:
    return Kubectl(kube)


@pytest.fixture(scope="session")
def operator(kube: KubeCluster) -> Iterator[OperatorProcess]:
    with running_operator(kube, priority=100, port=OPERATOR_PORT, name="main") as process:
        yield process


@pytest.fixture
def namespace(kubectl: Kubectl) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    kubectl.run("create", "namespace", name)
    yield name
    # Pipelines first, while the operator runs to remove its finalizer; then the namespace.
    kubectl.attempt("delete", "orderpipelines", "--all", "-n", name, "--timeout=30s")
    kubectl.attempt("delete", "namespace", name, "--wait=false")
