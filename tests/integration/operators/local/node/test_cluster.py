"""A pod of the services image runs on the real node and answers on its pod IP; `down` then
leaves nothing on the host (ADR 0032). `make test-cluster`: not part of `make test`.

The module brings the node up with `NodeCluster.up` (idempotent; the first run on a machine
builds the node binaries and the images, minutes), starts PostgreSQL (the order service migrates
its database at start), and runs the order service in a pod by image digest, with its database
URL in a Secret pointing at the node address (the relay to PostgreSQL's loopback port) and Kafka
at the node address too (the relay to Kafka's NODE listener, which advertises it). Traffic
goes only to the pod's address on the project's bridge. The last test stops the node and compares
the host with the record taken before the node first came up.
"""

from __future__ import annotations

import io
import json

import httpx
import pytest
from rich.console import Console

from operators.cli.images import builder as image_builder
from operators.local.node.cluster import NodeCluster
from operators.local.node.host import HostState, leftovers
from operators.local.servers.kafka import Kafka
from operators.local.servers.postgres import Postgres
from operators.local.settings import LocalStackSettings
from tests.support.eventually import eventually_sync

pytestmark = [pytest.mark.node, pytest.mark.timeout(1800)]

NAMESPACE = "conveyor-node-test"
HTTP_PORT = 8000


@pytest.fixture(scope="module")
def console() -> Console:
    return Console(file=io.StringIO(), width=120)


@pytest.fixture(scope="module")
def cluster(console: Console) -> NodeCluster:
    images = image_builder()
    images.build(console, ("services",))
    node = NodeCluster(images=images)
    node.up(console)
    return node


@pytest.fixture(scope="module")
def before(cluster: NodeCluster) -> HostState:
    recorded = cluster.record.load()
    assert recorded is not None, "cluster up took no record of the host"
    return recorded


@pytest.fixture(scope="module")
def postgres(console: Console) -> Postgres:
    server = Postgres(LocalStackSettings())
    server.start(console)
    return server


@pytest.fixture(scope="module")
def kafka(console: Console) -> Kafka:
    server = Kafka(LocalStackSettings())
    server.start(console)
    return server


def _pod(cluster: NodeCluster, postgres: Postgres, kafka: Kafka) -> list[dict[str, object]]:
    images = {image.name: image for image in image_builder().built()}
    dsn = postgres.dsn("order").replace(postgres.address, f"{cluster.node.node_ip}:{postgres.port}")
    secret: dict[str, object] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "order-database", "namespace": NAMESPACE},
        "stringData": {"DATABASE_URL": dsn},
    }
    probe = {"httpGet": {"path": "/health/live", "port": HTTP_PORT}, "periodSeconds": 1}
    pod: dict[str, object] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "order", "namespace": NAMESPACE},
        "spec": {
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True},
            "containers": [
                {
                    "name": "order",
                    "image": images["services"].pinned,
                    "imagePullPolicy": "Never",
                    "command": ["python", "-m", "workloads.order"],
                    "env": [
                        {"name": "SERVICE_NAME", "value": "order"},
                        {"name": "HTTP_HOST", "value": "0.0.0.0"},  # noqa: S104 - the pod's own
                        {"name": "HTTP_PORT", "value": str(HTTP_PORT)},
                        {"name": "KAFKA_BOOTSTRAP_SERVERS", "value": kafka.node_address},
                    ],
                    "envFrom": [{"secretRef": {"name": "order-database"}}],
                    "readinessProbe": probe,
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                    },
                }
            ],
        },
    }
    return [secret, pod]


def test_a_services_pod_is_ready_and_reaches_postgres_and_kafka_at_the_node_address(
    cluster: NodeCluster, postgres: Postgres, kafka: Kafka, before: HostState
) -> None:
    cluster.kubectl(["create", "namespace", NAMESPACE], check=False)
    manifest = {"apiVersion": "v1", "kind": "List", "items": _pod(cluster, postgres, kafka)}
    cluster.kube.kubectl(["apply", "-f", "-"], stdin=json.dumps(manifest))

    def ready() -> str:
        got = cluster.kubectl(["get", "pod", "order", "-n", NAMESPACE, "-o", "json"])
        status = json.loads(got.stdout)["status"]
        conditions = {c["type"]: c["status"] for c in status.get("conditions", [])}
        assert conditions.get("Ready") == "True", f"not ready: {status}"
        ip: str = status["podIP"]
        return ip

    pod_ip = eventually_sync(ready, within_s=120, every_s=1)
    assert pod_ip.startswith(cluster.node.node_subnet.rsplit(".", 1)[0])
    live = httpx.get(f"http://{pod_ip}:{HTTP_PORT}/health/live", timeout=5)
    assert live.json() == {"status": "alive"}

    def all_checks() -> None:
        response = httpx.get(f"http://{pod_ip}:{HTTP_PORT}/health/ready", timeout=5)
        checks = response.json()["checks"]
        # PostgreSQL through its relay; Kafka through the NODE listener's advertised address:
        # the consumers join their groups only if the coordinator's address is one pods reach.
        assert checks == {"database": True, "kafka": True, "consumers": True}, checks

    eventually_sync(all_checks, within_s=120, every_s=2)


def test_down_drains_the_node_and_leaves_nothing_on_the_host(
    cluster: NodeCluster, before: HostState, console: Console
) -> None:
    cluster.down(console, keep_control_plane=True)
    assert leftovers(before, cluster.host_state()) == []
    assert cluster.record.load() is None
