"""The whole path on the real node: the operator in a pod applies operators/examples/node.yaml, a
Job it owns bootstraps the databases, every pod of the eight workloads becomes Ready, 100 orders
placed through the order Service all end terminal (ADR 0045, 0046), and a customer browses and
checks out through the gateway's Service, the only public entry (ADR 0057); then the pipeline is
changed as an operator of it would: a pod deleted, scaled through the scale subresource and by Kafka
lag, a new image rolled out under traffic, and the pipeline deleted. `make test-cluster` only
(marker `node`).

One deployment (conftest.py, package scope) serves every test, in this file's order; the last one
deletes the pipeline. The local stack's PostgreSQL, Redis, Kafka and fake card provider run as
servers — without the workload processes, which would share the pods' Kafka consumer groups. The
pods get databases and roles of their own (`node_<workload>`), which nothing but the pipeline's
database-owners Job creates: a pipeline without it never gets Ready. Orders go from this machine to
the Services' ClusterIPs (kube-proxy, on the project's bridge), never to a pod address; the bridge
CNI does not enforce NetworkPolicy, so this machine reaches internal Services too.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from functools import partial
from typing import Any

import httpx
import jwt
import pytest
from pydantic import SecretStr

from loadtests.kafka_backlog import Backlog
from operators.cli.images import builder as image_builder
from operators.local.node.cluster import NodeCluster
from operators.local.node.example import PIPELINE, SECRETS
from tests.e2e.operators.node.conftest import (
    LAG_THRESHOLD,
    NAMESPACE,
    Deployed,
    NodeSagaClient,
    get,
    is_ready,
    workload_pods,
)
from tests.e2e.operators.node.rebuild import rebuilt
from tests.e2e.workloads.saga_client import SUCCEEDED, TERMINAL
from tests.support.eventually import eventually, eventually_sync
from workloads.catalog import handlers as catalog_handlers
from workloads.shared.database import DatabaseSettings, create_pool

pytestmark = [pytest.mark.node, pytest.mark.timeout(1800)]

ORDERS = 100
PASSWORD = "correct horse battery staple"
# What the pipeline's deletion must take with it; a namespace's own objects stay.
OWNED_KINDS = (
    "deployments,replicasets,pods,services,configmaps,secrets,jobs,serviceaccounts,"
    "poddisruptionbudgets,networkpolicies,horizontalpodautoscalers,roles,rolebindings"
)
NAMESPACE_OWN = {("ConfigMap", "kube-root-ca.crt"), ("ServiceAccount", "default")}


def test_the_operator_runs_in_a_pod_from_its_local_image_under_its_service_account(
    cluster: NodeCluster,
) -> None:
    pods = get(cluster, "pods", "-n", "conveyor-system")["items"]
    operator = {i.name: i for i in image_builder().built()}["operator"].pinned
    assert [p["spec"]["serviceAccountName"] for p in pods] == ["conveyor-operator"]
    assert pods[0]["spec"]["containers"][0]["image"] == operator
    # deploy() returned only after the pod wrote its peering record through the API server.
    peers = get(cluster, "clusterkopfpeering", "conveyor-operator").get("status", {})
    assert any(f"@{pods[0]['metadata']['name']}/" in peer for peer in peers), peers


def test_the_databases_are_bootstrapped_and_every_pod_becomes_ready(deployed: Deployed) -> None:
    cluster, workloads = deployed.cluster, deployed.workloads

    def all_ready() -> None:
        jobs = get(cluster, "jobs", "-n", NAMESPACE)["items"]
        assert [j["status"].get("succeeded") for j in jobs] == [1], [j["status"] for j in jobs]
        deployments = get(cluster, "deployments", "-n", NAMESPACE)["items"]
        ready = {
            d["metadata"]["name"].removeprefix(f"{PIPELINE}-"): d["status"].get("readyReplicas", 0)
            for d in deployments
        }
        assert ready == dict.fromkeys(workloads, 1), ready
        pods = workload_pods(cluster)
        assert sorted(pods) == workloads, sorted(pods)
        assert all(len(p) == 1 and is_ready(p[0]) for p in pods.values()), pods

    eventually_sync(all_ready, within_s=600, every_s=3)


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


async def _login(client: NodeSagaClient, *, admin: bool = False) -> tuple[str, dict[str, str]]:
    """A new account and its bearer header: a customer registers through the gateway, an admin
    at identity's Service with the admin token (the gateway forwards no token of its own)."""
    body = {"email": f"{uuid.uuid4().hex[:12]}@example.com", "password": PASSWORD}
    if admin:
        token = client.stack.admin_token()
        registered = await client.http.post(
            client.url("identity", "/v1/users"),
            json={**body, "role": "admin"},
            headers={"Authorization": f"Bearer {token}"},
        )
    else:
        registered = await client.http.post(client.url("gateway", "/v1/users"), json=body)
    assert registered.status_code == 201, registered.text
    login = await client.http.post(client.url("gateway", "/v1/auth/login"), json=body)
    assert login.status_code == 200, login.text
    access = login.json()["access_token"]
    subject: str = jwt.decode(access, options={"verify_signature": False})["sub"]
    return subject, {"Authorization": f"Bearer {access}"}


async def test_a_customer_browses_and_checks_out_through_the_gateway_service(
    node_client: NodeSagaClient,
) -> None:
    http, gateway = node_client.http, partial(node_client.url, "gateway")
    _, admin = await _login(node_client, admin=True)
    customer_id, customer = await _login(node_client)
    sku = f"node-{uuid.uuid4().hex[:10]}"
    # Categories come with the catalog's seed (no route writes one): seeded into the pod's
    # database with the catalog's own seeding code, as `conveyor catalog seed` does locally.
    dsn = node_client.deployed.example.node_dsn("catalog", host=node_client.stack.settings.host)
    pool = await create_pool(DatabaseSettings(url=SecretStr(dsn), min_size=1))
    try:
        await catalog_handlers.seed(pool, [("kitchen", "Kitchen")], [], correlation_id=sku)
    finally:
        await pool.close()
    product = {"name": f"Kettle {sku}", "category": "kitchen"}
    written = await http.put(gateway(f"/v1/products/{sku}"), json=product, headers=admin)
    assert written.status_code == 200, written.text
    stock = {"available": 3, "price_cents": 2500}
    stocked = await http.put(gateway(f"/v1/admin/inventory/{sku}"), json=stock, headers=admin)
    assert stocked.status_code in {200, 201, 204}, stocked.text

    async def found() -> None:  # the catalog's search, through its cache
        page = await http.get(gateway("/v1/products"), params={"q": sku})
        assert page.status_code == 200, page.text
        assert [p["product_id"] for p in page.json()["items"]] == [sku], page.json()

    await eventually(found, within_s=60, every_s=0.5)
    await node_client.wait_sellable(sku)
    order = {
        "customer_id": customer_id,
        "items": [{"product_id": sku, "quantity": 2}],
        "payment": {"card_token": "tok_visa"},
    }
    key = {"Idempotency-Key": str(uuid.uuid4())}
    placed = await http.post(gateway("/v1/orders"), json=order, headers=customer | key)
    assert placed.status_code == 202, placed.text
    order_id = placed.json()["order_id"]

    async def shipped() -> dict[str, Any]:  # confirmed, then shipped by the shipping pod
        summary = await http.get(gateway(f"/v1/orders/{order_id}/summary"), headers=customer)
        assert summary.status_code == 200, summary.text
        body: dict[str, Any] = summary.json()
        assert body["order"]["status"] == "SHIPPED", body["order"]["status"]
        assert body["partial"] is False, body["unavailable"]
        return body

    summary = await eventually(shipped, within_s=180, every_s=1)
    assert summary["payment"]["order_id"] == summary["shipment"]["order_id"] == order_id

    async def listed() -> None:  # the read model (CQRS projection) has it
        path = f"/v1/customers/{customer_id}/orders"
        page = await http.get(gateway(path), headers=customer)
        assert page.status_code == 200, page.text
        assert [o["order_id"] for o in page.json()["orders"]] == [order_id], page.json()

    await eventually(listed, within_s=60, every_s=0.5)


async def test_a_deleted_pod_is_replaced_and_no_order_is_lost(
    node_client: NodeSagaClient, deployed: Deployed
) -> None:
    cluster = deployed.cluster
    selector = "app.kubernetes.io/name=payment"
    [old] = get(cluster, "pods", "-n", NAMESPACE, "-l", selector)["items"]
    product = await node_client.seed(available=40)
    before = [await node_client.place_ok(product) for _ in range(10)]
    cluster.kubectl(["delete", "pod", old["metadata"]["name"], "-n", NAMESPACE, "--wait=false"])
    after = [await node_client.place_ok(product) for _ in range(10)]

    def replaced() -> None:
        pods = get(cluster, "pods", "-n", NAMESPACE, "-l", selector)["items"]
        ready = [p["metadata"]["name"] for p in pods if is_ready(p)]
        assert ready, f"no payment pod Ready yet: {[p['metadata']['name'] for p in pods]}"
        assert old["metadata"]["name"] not in ready

    eventually_sync(replaced, within_s=300, every_s=2)
    for order_id in (*before, *after):
        order = await node_client.wait_terminal(order_id, timeout_s=180)
        assert order["status"] in SUCCEEDED, order


def _pods_per_workload(deployed: Deployed, count: int, *, only: str | None = None) -> None:
    """Every (or `only` that) workload has exactly `count` pods, all Ready: none starting, none
    still terminating."""
    pods = workload_pods(deployed.cluster)
    names = [only] if only else deployed.workloads
    seen = {w: (len(pods.get(w, [])), sum(map(is_ready, pods.get(w, [])))) for w in names}
    assert seen == dict.fromkeys(names, (count, count)), f"(pods, ready) per workload: {seen}"


def test_scaling_through_the_scale_subresource_adds_pods_and_removes_them(
    deployed: Deployed,
) -> None:
    cluster = deployed.cluster
    scale = f"/apis/conveyor.dev/v1alpha1/namespaces/{NAMESPACE}/orderpipelines/{PIPELINE}/scale"
    for units in (2, 1):
        cluster.kubectl(
            ["scale", "orderpipeline", PIPELINE, "-n", NAMESPACE, f"--replicas={units}"]
        )
        eventually_sync(partial(_pods_per_workload, deployed, units), within_s=300, every_s=2)
        read = json.loads(cluster.kubectl(["get", "--raw", scale]).stdout)
        assert read["spec"]["replicas"] == units, read


async def test_a_kafka_backlog_adds_a_notification_pod_and_its_drain_removes_it(
    deployed: Deployed,
) -> None:
    backlog = Backlog(deployed.stack.kafka.bootstrap_servers, "notification")

    async def pods(count: int) -> None:
        await asyncio.to_thread(_pods_per_workload, deployed, count, only="notification")

    await pods(1)
    await backlog.make(messages=2 * LAG_THRESHOLD)
    try:
        await eventually(lambda: pods(2), within_s=300, every_s=2)
    finally:
        await backlog.drain()
    await eventually(lambda: pods(1), within_s=300, every_s=2)


async def _place_resending(
    client: NodeSagaClient, product: str, resent: list[str]
) -> httpx.Response:
    """One order; sent once more, same Idempotency-Key, if a stale connection ate the first.

    A keep-alive connection the old pod closes as it stops can meet the next request (a
    ReadError, no response): a client sends it again on a new connection with the same key, as
    the gateway does for its upstreams. A second failure raises, and counts as a failed request.
    """
    key = str(uuid.uuid4())
    try:
        return await client.place(product, key=key)
    except (httpx.ReadError, httpx.RemoteProtocolError) as stale:
        resent.append(repr(stale))
        return await client.place(product, key=key)


async def test_a_new_image_rolls_out_with_no_failed_request(
    node_client: NodeSagaClient, deployed: Deployed
) -> None:
    cluster = deployed.cluster
    images = image_builder()
    first = {i.name: i for i in images.built()}["services"]
    second = await asyncio.to_thread(rebuilt, images, cluster, first)
    product = await node_client.seed(available=100_000)
    placed: list[str] = []
    failures: list[str] = []
    resent: list[str] = []  # sent again after a stale connection (reported, not failures)
    done, under_way = asyncio.Event(), asyncio.Event()

    async def requests() -> None:
        while not done.is_set():
            try:
                response = await _place_resending(node_client, product, resent)
            except httpx.HTTPError as exc:
                failures.append(repr(exc))
                continue
            if response.status_code == 202:
                placed.append(response.json()["order_id"])
                if len(placed) >= 5:
                    under_way.set()
            else:
                failures.append(f"{response.status_code} {response.text[:200]}")

    def rolled_out() -> None:
        for d in get(cluster, "deployments", "-n", NAMESPACE)["items"]:
            image = d["spec"]["template"]["spec"]["containers"][0]["image"]
            status, name = d["status"], d["metadata"]["name"]
            assert image == second, f"{name} still on {image}"
            assert status.get("observedGeneration") == d["metadata"]["generation"], name
            wanted = d["spec"]["replicas"]
            counts = [status.get(k, 0) for k in ("updatedReplicas", "readyReplicas", "replicas")]
            assert counts == [wanted] * 3, f"{name}: updated/ready/all {counts}, want {wanted}"
        images_run = {
            p["spec"]["containers"][0]["image"]
            for ps in workload_pods(cluster).values()
            for p in ps
        }
        assert images_run == {second}, images_run

    loop = asyncio.create_task(requests())
    started = asyncio.create_task(under_way.wait())
    try:
        # The loop is under way (or has failed) before the rollout begins.
        await asyncio.wait([started, loop], return_when=asyncio.FIRST_COMPLETED)
        patch = {"spec": {"workloads": {w: {"image": second} for w in deployed.workloads}}}
        args = ["patch", "orderpipeline", PIPELINE, "-n", NAMESPACE, "--type=merge"]
        await asyncio.to_thread(cluster.kubectl, [*args, "-p", json.dumps(patch)])
        await eventually(lambda: asyncio.to_thread(rolled_out), within_s=600, every_s=2)
    finally:
        done.set()
        started.cancel()
        await loop
    assert not failures, f"{len(failures)} of {len(placed) + len(failures)} failed: {failures[:5]}"
    print(f"rollout: {len(placed)} orders, {len(resent)} resent after a stale connection")
    for order_id in placed:
        order = await node_client.wait_terminal(order_id, timeout_s=180)
        assert order["status"] in SUCCEEDED, order


def test_deleting_the_pipeline_removes_everything_it_owned(deployed: Deployed) -> None:
    cluster = deployed.cluster
    ours = NAMESPACE_OWN | {("Secret", name) for name in SECRETS}

    def left() -> set[tuple[str, str]]:
        items: list[dict[str, Any]] = get(cluster, OWNED_KINDS, "-n", NAMESPACE)["items"]
        return {(i["kind"], i["metadata"]["name"]) for i in items} - ours

    owned = left()
    kinds = {kind for kind, _ in owned}
    assert {"Deployment", "Service", "ConfigMap", "Job", "Pod"} <= kinds, sorted(owned)
    # Not waited for by kubectl (its finalizer can outlast the 60 s kubectl call on a busy node).
    cluster.kubectl(["delete", "orderpipeline", PIPELINE, "-n", NAMESPACE, "--wait=false"])

    def gone() -> None:
        pipelines = get(cluster, "orderpipelines", "-n", NAMESPACE)["items"]
        assert not pipelines, "the pipeline is still there (its finalizer)"
        remaining = left()
        assert not remaining, f"still there after the pipeline went: {sorted(remaining)}"

    eventually_sync(gone, within_s=300, every_s=2)
