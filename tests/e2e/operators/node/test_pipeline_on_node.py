"""The whole path on the real node: the operator in a pod applies operators/examples/node.yaml, a
Job it owns bootstraps the databases, every pod becomes Ready, and 100 orders placed through the
order Service all end terminal (ADR 0045, 0046). `make test-cluster` only (marker `node`).

The local stack's PostgreSQL, Kafka and fake card provider run as servers — without the
workload processes, which would share the pods' Kafka consumer groups. The pods get databases
and roles of their own (`node_<workload>`), which nothing but the pipeline's database-owners Job
creates: a pipeline without it never gets Ready. Orders go from this machine to the order
Service's ClusterIP (kube-proxy, on the project's bridge), never to a pod address directly.
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
import yaml
from rich.console import Console

from operators.cli.images import builder as image_builder
from operators.local.node import operator_deploy
from operators.local.node.cluster import NodeCluster
from operators.local.secrets import read_or_create
from operators.local.servers.postgres import ADMIN_ROLE
from operators.local.stack import LocalStack
from operators.paths import REPO_ROOT
from operators.pipeline import topology
from tests.e2e.workloads.saga_client import SUCCEEDED, TERMINAL, SagaClient
from tests.support.eventually import eventually, eventually_sync

pytestmark = [pytest.mark.node, pytest.mark.timeout(1800)]

EXAMPLE = REPO_ROOT / "operators" / "examples" / "node.yaml"
NAMESPACE = "conveyor-node"
DB_PREFIX = "node_"
ORDERS = 100


@dataclass(frozen=True)
class Deployed:
    cluster: NodeCluster
    stack: LocalStack
    pipeline: dict[str, Any]

    def node_dsn(self, workload: str, *, host: str) -> str:
        postgres = self.stack.postgres
        password = read_or_create(self.stack.settings.secrets_dir / "postgres-node-pods")
        name = f"{DB_PREFIX}{workload}"
        return f"postgresql://{name}:{password}@{host}:{postgres.port}/{name}"


@pytest.fixture(scope="module")
def console() -> Console:
    return Console(file=io.StringIO(), width=120)


@pytest.fixture(scope="module")
def cluster(console: Console) -> NodeCluster:
    images = image_builder()
    images.build(console, ("services", "operator"))
    node = NodeCluster(images=images)
    node.up(console)
    built = {image.name: image for image in images.built()}
    operator_deploy.deploy(node.kube, built["operator"], console)
    return node


@pytest.fixture(scope="module")
def stack(console: Console) -> LocalStack:
    servers = LocalStack()
    servers.up(console, ["postgres", "kafka", "payment-provider"], workloads=False)
    return servers


def _pipeline(cluster: NodeCluster, stack: LocalStack) -> dict[str, Any]:
    """The example with this checkout's ports and the services image just built, by digest."""
    node_ip, settings = cluster.node.node_ip, stack.settings
    services = {i.name: i for i in image_builder().built()}["services"].pinned
    pipeline: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    spec = pipeline["spec"]
    spec["kafka"]["bootstrapServers"] = f"{node_ip}:{settings.kafka_node_port}"
    for workload in spec["workloads"].values():
        workload["image"] = services
    provider = f"http://{node_ip}:{settings.payment_provider_port}"
    spec["workloads"]["payment"]["env"]["PAYMENT_PROVIDER_URL"] = provider
    return pipeline


def _secrets(deployed: Deployed) -> list[dict[str, Any]]:
    node_ip = deployed.cluster.node.node_ip
    postgres = deployed.stack.postgres
    owners = sorted(set(deployed.pipeline["spec"]["workloads"]) & topology.DATABASE_OWNERS)
    master = f"postgresql://{ADMIN_ROLE}:{postgres.admin_password()}@{node_ip}:{postgres.port}"
    data = {
        "conveyor-postgres": {w: deployed.node_dsn(w, host=node_ip) for w in owners},
        "conveyor-postgres-master": {"url": f"{master}/postgres"},
        "conveyor-admin": {"token": deployed.stack.admin_token()},
    }
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": NAMESPACE},
            "stringData": values,
        }
        for name, values in data.items()
    ]


async def _drop_pod_databases(deployed: Deployed) -> None:
    """A previous run's databases and roles go, so only this run's Job can have made them."""
    conn = await asyncpg.connect(deployed.stack.postgres.admin_dsn())
    try:
        for workload in sorted(topology.DATABASE_OWNERS):
            name = f"{DB_PREFIX}{workload}"
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await conn.execute(f"DROP ROLE IF EXISTS {name}")
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def deployed(cluster: NodeCluster, stack: LocalStack) -> Iterator[Deployed]:
    result = Deployed(cluster=cluster, stack=stack, pipeline=_pipeline(cluster, stack))
    cluster.kubectl(["create", "namespace", NAMESPACE], check=False)
    pipeline = ["orderpipeline", "conveyor", "-n", NAMESPACE, "--ignore-not-found"]
    cluster.kubectl(["delete", *pipeline, "--timeout=50s"])
    asyncio.run(_drop_pod_databases(result))
    items = [*_secrets(result), result.pipeline]
    manifest = json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    cluster.kube.kubectl(["apply", "-f", "-"], stdin=manifest)
    yield result
    # The next run starts from nothing; the node's CPU is shared, so the pods go now.
    cluster.kubectl(["delete", "orderpipeline", "conveyor", "-n", NAMESPACE, "--wait=false"])


def _get(cluster: NodeCluster, *args: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(cluster.kubectl(["get", *args, "-o", "json"]).stdout)
    return found


def test_the_operator_runs_in_a_pod_from_its_local_image_under_its_service_account(
    cluster: NodeCluster,
) -> None:
    pods = _get(cluster, "pods", "-n", "conveyor-system")["items"]
    operator = {i.name: i for i in image_builder().built()}["operator"].pinned
    assert [p["spec"]["serviceAccountName"] for p in pods] == ["conveyor-operator"]
    assert pods[0]["spec"]["containers"][0]["image"] == operator
    # deploy() returned only after the pod wrote its peering record through the API server.
    peers = _get(cluster, "clusterkopfpeering", "conveyor-operator").get("status", {})
    assert any(f"@{pods[0]['metadata']['name']}/" in peer for peer in peers), peers


def test_the_databases_are_bootstrapped_and_every_pod_becomes_ready(deployed: Deployed) -> None:
    cluster, workloads = deployed.cluster, sorted(deployed.pipeline["spec"]["workloads"])

    def all_ready() -> None:
        jobs = _get(cluster, "jobs", "-n", NAMESPACE)["items"]
        assert [j["status"].get("succeeded") for j in jobs] == [1], [j["status"] for j in jobs]
        deployments = _get(cluster, "deployments", "-n", NAMESPACE)["items"]
        ready = {
            d["metadata"]["name"].removeprefix("conveyor-"): d["status"].get("readyReplicas", 0)
            for d in deployments
        }
        assert ready == dict.fromkeys(workloads, 1), ready
        pods = _get(cluster, "pods", "-n", NAMESPACE, "-l", "app.kubernetes.io/instance=conveyor")
        conditions = [
            {c["type"]: c["status"] for c in p["status"].get("conditions", [])}
            for p in pods["items"]
            if p["status"].get("phase") != "Succeeded"  # the Job's pod
        ]
        assert len(conditions) == len(workloads)
        assert all(c.get("Ready") == "True" for c in conditions), conditions

    eventually_sync(all_ready, within_s=600, every_s=3)


@dataclass
class NodeSagaClient(SagaClient):
    """The saga client aimed at the pipeline's Services and the pods' own databases."""

    deployed: Deployed
    services: dict[str, str] = field(default_factory=dict)

    def url(self, workload: str, path: str) -> str:
        if workload not in self.services:
            name = f"conveyor-{workload}"
            spec = _get(self.deployed.cluster, "service", name, "-n", NAMESPACE)["spec"]
            self.services[workload] = f"http://{spec['clusterIP']}:{spec['ports'][0]['port']}"
        return f"{self.services[workload]}{path}"

    async def wait_sellable(self, *product_ids: str, timeout_s: float = 60) -> None:
        dsn = self.deployed.node_dsn("order", host=self.stack.settings.host)
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


@pytest.fixture
async def node_client(deployed: Deployed) -> AsyncIterator[NodeSagaClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield NodeSagaClient(stack=deployed.stack, http=http, deployed=deployed)


async def test_a_hundred_orders_through_the_order_service_all_end_terminal_none_lost(
    node_client: NodeSagaClient,
) -> None:
    product = await node_client.seed(available=ORDERS * 2)
    gate = asyncio.Semaphore(10)

    async def place(n: int) -> str:
        async with gate:
            return await node_client.place_ok(product, customer=f"node-customer-{n % 7}")

    order_ids = await asyncio.gather(*(place(n) for n in range(ORDERS)))
    assert len(set(order_ids)) == ORDERS

    async def all_terminal() -> list[str]:
        statuses = [(await node_client.order(order_id))["status"] for order_id in order_ids]
        pending = [s for s in statuses if s not in TERMINAL]
        assert not pending, f"{len(pending)} of {ORDERS} orders not terminal yet"
        return statuses

    statuses = await eventually(all_terminal, within_s=300, every_s=2)
    assert set(statuses) <= SUCCEEDED, sorted(set(statuses))


async def test_a_deleted_pod_is_replaced_and_no_order_is_lost(
    node_client: NodeSagaClient, deployed: Deployed
) -> None:
    cluster = deployed.cluster
    selector = "app.kubernetes.io/name=payment"
    [old] = _get(cluster, "pods", "-n", NAMESPACE, "-l", selector)["items"]
    product = await node_client.seed(available=40)
    before = [await node_client.place_ok(product) for _ in range(10)]
    cluster.kubectl(["delete", "pod", old["metadata"]["name"], "-n", NAMESPACE, "--wait=false"])
    after = [await node_client.place_ok(product) for _ in range(10)]

    def replaced() -> None:
        pods = _get(cluster, "pods", "-n", NAMESPACE, "-l", selector)["items"]
        ready = [
            p["metadata"]["name"]
            for p in pods
            if any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in p["status"].get("conditions", [])
            )
        ]
        assert ready, f"no payment pod Ready yet: {[p['metadata']['name'] for p in pods]}"
        assert old["metadata"]["name"] not in ready

    eventually_sync(replaced, within_s=300, every_s=2)
    for order_id in (*before, *after):
        order = await node_client.wait_terminal(order_id, timeout_s=180)
        assert order["status"] in SUCCEEDED, order
