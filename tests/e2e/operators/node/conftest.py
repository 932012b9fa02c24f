"""The deployment every node test shares (package scope, built and applied once): the node with
the operator in a pod, the local stack's PostgreSQL, Kafka and fake card provider, and
operators/examples/node.yaml applied with this checkout's ports and the services image by digest
(`operators.local.node.example`).

Notification scales on Kafka lag (bounds 1..2, a threshold of `LAG_THRESHOLD` messages, no
cool-down) so the lag test can see a pod come and go; the saga's own traffic stays far below the
threshold, so it runs on one pod until that test makes a backlog.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from rich.console import Console

from operators.cli.images import builder as image_builder
from operators.local.node import operator_deploy
from operators.local.node.cluster import NodeCluster
from operators.local.node.example import PIPELINE, NodeExample
from operators.local.stack import LocalStack
from tests.e2e.workloads.saga_client import SagaClient
from tests.support.eventually import eventually

NAMESPACE = "conveyor-node"
LAG_THRESHOLD = 1000


@dataclass(frozen=True)
class Deployed:
    cluster: NodeCluster
    stack: LocalStack
    example: NodeExample
    pipeline: dict[str, Any]

    @property
    def workloads(self) -> list[str]:
        return sorted(self.pipeline["spec"]["workloads"])


def get(cluster: NodeCluster, *args: str) -> dict[str, Any]:
    """`kubectl get … -o json`, parsed."""
    found: dict[str, Any] = json.loads(cluster.kubectl(["get", *args, "-o", "json"]).stdout)
    return found


def is_ready(pod: dict[str, Any]) -> bool:
    conditions = pod["status"].get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def workload_pods(cluster: NodeCluster) -> dict[str, list[dict[str, Any]]]:
    """The pipeline's workload pods by workload, terminating ones included (not the Job's)."""
    selector = f"app.kubernetes.io/instance={PIPELINE}"
    pods: dict[str, list[dict[str, Any]]] = {}
    for pod in get(cluster, "pods", "-n", NAMESPACE, "-l", selector)["items"]:
        if pod["status"].get("phase") in {"Succeeded", "Failed"}:
            continue  # the database-owners Job's pod
        name = pod["metadata"]["labels"].get("app.kubernetes.io/name", "")
        pods.setdefault(name, []).append(pod)
    return pods


@pytest.fixture(scope="package")
def console() -> Console:
    return Console(file=io.StringIO(), width=120)


@pytest.fixture(scope="package")
def cluster(console: Console) -> NodeCluster:
    images = image_builder()
    images.build(console, ("services", "operator"))
    node = NodeCluster(images=images)
    node.up(console)
    built = {image.name: image for image in images.built()}
    operator_deploy.deploy(node.kube, built["operator"], console)
    return node


@pytest.fixture(scope="package")
def stack(console: Console) -> LocalStack:
    servers = LocalStack()
    servers.up(console, ["postgres", "redis", "kafka", "payment-provider"], workloads=False)
    return servers


@pytest.fixture(scope="package")
def deployed(cluster: NodeCluster, stack: LocalStack) -> Iterator[Deployed]:
    services = {i.name: i for i in image_builder().built()}["services"]
    example = NodeExample(stack=stack, node=cluster.node, services=services)
    manifest = example.manifest(NAMESPACE, lag_threshold=LAG_THRESHOLD)
    result = Deployed(cluster, stack, example, pipeline=manifest["items"][-1])
    cluster.kubectl(["create", "namespace", NAMESPACE], check=False)
    pipeline = ["orderpipeline", PIPELINE, "-n", NAMESPACE, "--ignore-not-found"]
    cluster.kubectl(["delete", *pipeline, "--timeout=50s"])
    asyncio.run(example.drop_pod_databases())
    cluster.kube.kubectl(["apply", "-f", "-"], stdin=json.dumps(manifest))
    yield result
    # The next run starts from nothing; the node's CPU is shared, so the pods go now (the last
    # test deletes the pipeline itself; a run stopped earlier leaves it to this).
    cluster.kubectl(["delete", *pipeline, "--wait=false"])


@dataclass
class NodeSagaClient(SagaClient):
    """The saga client aimed at the pipeline's Services and the pods' own databases."""

    deployed: Deployed
    services: dict[str, str] = field(default_factory=dict)

    def url(self, workload: str, path: str) -> str:
        if workload not in self.services:
            name = f"{PIPELINE}-{workload}"
            spec = get(self.deployed.cluster, "service", name, "-n", NAMESPACE)["spec"]
            self.services[workload] = f"http://{spec['clusterIP']}:{spec['ports'][0]['port']}"
        return f"{self.services[workload]}{path}"

    async def wait_sellable(self, *product_ids: str, timeout_s: float = 60) -> None:
        dsn = self.deployed.example.node_dsn("order", host=self.stack.settings.host)
        conn = await asyncpg.connect(dsn)

        async def known() -> None:
            count = await conn.fetchval(
                "SELECT count(*) FROM products WHERE product_id = ANY($1)", list(product_ids)
            )
            assert count == len(product_ids), f"order never learned of {product_ids}"

        try:
            await eventually(known, within_s=timeout_s, every_s=0.2)
        finally:
            await conn.close()

    async def routed(self, *workloads: str, within_s: float = 60) -> None:
        """Until each workload's Service answers ready: a pod turns Ready before kube-proxy has
        written its Service's rules (seen: the first call refused right after every pod was
        Ready), and a client of a new Service must wait for that too."""

        async def answers() -> None:
            for workload in workloads:
                try:
                    response = await self.http.get(self.url(workload, "/health/ready"))
                except httpx.TransportError as exc:  # not routed yet: refused, reset
                    raise AssertionError(f"{workload}'s Service: {exc!r}") from exc
                assert response.status_code == 200, f"{workload}: {response.status_code}"

        await eventually(answers, within_s=within_s, every_s=0.5)


@pytest.fixture
async def node_client(deployed: Deployed) -> AsyncIterator[NodeSagaClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        client = NodeSagaClient(stack=deployed.stack, http=http, deployed=deployed)
        await client.routed(*deployed.workloads)
        yield client
