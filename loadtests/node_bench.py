"""The operator benchmark on the real node (`make bench-operator BENCH_ARGS=--node`, root).

Brings up what the node tests use (idempotent: the images, the node with the operator in a pod,
the local stack's PostgreSQL, Kafka and fake card provider), then runs rounds, each in a fresh
namespace with operators/examples/node.yaml (four workloads, the database-owners Job; notification
scales on Kafka lag, `operators.local.node.example`), timing, polling the API server every 0.2 s:

- `apply_to_pods_ready_s`: `kubectl apply` → every workload has a Ready pod (includes the Job
  creating the databases the pods wait for);
- `pod_replaced_ready_s`: the payment pod deleted → a new payment pod Ready;
- `lag_scale_up_ready_s`: a backlog of twice the lag threshold made (`loadtests.kafka_backlog`) →
  a second notification pod Ready. The operator samples lag every 10 s, so this includes up to
  one timer interval.

The pods' databases are dropped before each round so its Job really creates them; the namespace
is deleted and waited for after each round, so one pipeline's pods run at a time. Figures go to
the `node` section of build/bench/operator.json; the API-server figures there stay as they were.
Targets (issue #15): all pods Ready < 30 s, replacement < 10 s. A step not done within 300 s
raises TimeoutError.
"""

from __future__ import annotations

import asyncio
import io
import json
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from lightkube import Client, KubeConfig
from lightkube.resources.core_v1 import Namespace, Pod
from rich.console import Console

from loadtests.kafka_backlog import Backlog
from operators.local.images.build import local_builder
from operators.local.node import operator_deploy
from operators.local.node.cluster import NodeCluster
from operators.local.node.example import PIPELINE, NodeExample
from operators.local.stack import LocalStack

POLL_S = 0.2
STEP_TIMEOUT_S = 300.0
LAG_THRESHOLD = 1000
READY_TARGET_S = 30.0
REPLACED_TARGET_S = 10.0


def _wait(probe: Callable[[], bool]) -> float:
    began = time.perf_counter()
    while time.perf_counter() - began < STEP_TIMEOUT_S:
        if probe():
            return time.perf_counter() - began
        time.sleep(POLL_S)
    raise TimeoutError(f"not done within {STEP_TIMEOUT_S:.0f} s")


def _ready_pods(client: Client, namespace: str) -> dict[str, list[str]]:
    """Names of the Ready, not terminating, workload pods per workload."""
    ready: dict[str, list[str]] = {}
    for pod in client.list(
        Pod, namespace=namespace, labels={"app.kubernetes.io/instance": PIPELINE}
    ):
        meta, status = pod.metadata, pod.status
        if meta is None or status is None or meta.deletionTimestamp is not None:
            continue
        if any(c.type == "Ready" and c.status == "True" for c in status.conditions or []):
            workload = (meta.labels or {}).get("app.kubernetes.io/name", "")
            ready.setdefault(workload, []).append(meta.name or "")
    return ready


def _namespace_gone(client: Client, namespace: str) -> bool:
    return not [n for n in client.list(Namespace) if n.metadata and n.metadata.name == namespace]


def _round(
    cluster: NodeCluster, client: Client, example: NodeExample, backlog: Backlog
) -> dict[str, float]:
    namespace = f"bench-node-{uuid.uuid4().hex[:6]}"
    workloads = set(example.pipeline(namespace)["spec"]["workloads"])
    asyncio.run(example.drop_pod_databases())
    cluster.kubectl(["create", "namespace", namespace])
    manifest = json.dumps(example.manifest(namespace, lag_threshold=LAG_THRESHOLD))
    try:
        began = time.perf_counter()
        cluster.kube.kubectl(["apply", "-f", "-"], stdin=manifest)
        _wait(lambda: set(_ready_pods(client, namespace)) == workloads)
        figures = {"apply_to_pods_ready_s": time.perf_counter() - began}
        [old] = _ready_pods(client, namespace)["payment"]
        client.delete(Pod, old, namespace=namespace)
        figures["pod_replaced_ready_s"] = _wait(
            lambda: bool(set(_ready_pods(client, namespace).get("payment", [])) - {old})
        )
        asyncio.run(backlog.make(2 * LAG_THRESHOLD))
        try:
            figures["lag_scale_up_ready_s"] = _wait(
                lambda: len(_ready_pods(client, namespace).get("notification", [])) >= 2  # noqa: PLR2004
            )
        finally:
            asyncio.run(backlog.drain())
        return figures
    finally:
        cluster.kubectl(["delete", "namespace", namespace, "--wait=false"])
        _wait(lambda: _namespace_gone(client, namespace))


def run(rounds: int, out: Path, console: Console) -> bool:
    """Run the rounds, write the `node` section of `out`; True when the targets were met."""
    quiet = Console(file=io.StringIO())
    images = local_builder()
    images.build(quiet, ("services", "operator"))
    cluster = NodeCluster(images=images)
    cluster.up(quiet)
    built = {image.name: image for image in images.built()}
    operator_deploy.deploy(cluster.kube, built["operator"], quiet)
    stack = LocalStack()
    stack.up(quiet, ["postgres", "redis", "kafka", "payment-provider"], workloads=False)
    example = NodeExample(stack=stack, node=cluster.node, services=built["services"])
    backlog = Backlog(stack.kafka.bootstrap_servers, "notification")
    client = Client(KubeConfig.from_file(cluster.kube.kubeconfig()), field_manager="bench")
    results: list[dict[str, float]] = []
    for n in range(rounds):
        results.append(_round(cluster, client, example, backlog))
        console.print(f"  node round {n + 1}/{rounds}: " + ", ".join(
            f"{key} {value:.2f}" for key, value in results[-1].items()
        ))  # fmt: skip
    summary = {
        key: {
            "p50_s": round(statistics.median(r[key] for r in results), 3),
            "max_s": round(max(r[key] for r in results), 3),
        }
        for key in results[0]
    }
    write_section(out, "node", {"rounds": results, "summary": summary})
    for key, value in summary.items():
        console.print(f"{key:24} p50 {value['p50_s']:.2f} s   max {value['max_s']:.2f} s")
    met = (
        summary["apply_to_pods_ready_s"]["max_s"] < READY_TARGET_S
        and summary["pod_replaced_ready_s"]["max_s"] < REPLACED_TARGET_S
    )
    console.print(
        f"targets: all pods Ready < {READY_TARGET_S:.0f} s, replacement Ready < "
        f"{REPLACED_TARGET_S:.0f} s: " + ("[green]met[/]" if met else "[red]missed[/]")
    )
    return met


def write_section(out: Path, key: str | None, figures: dict[str, object]) -> None:
    """Write `figures` as section `key` of `out` (None: the top level), keeping the rest."""
    current = json.loads(out.read_text()) if out.exists() else {}
    if key is None:
        current = {**figures, **({"node": current["node"]} if "node" in current else {})}
    else:
        current[key] = figures
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(current, indent=2) + "\n")
