"""Operator benchmark: `kubectl apply` → every child present, and manual deletion → repair.

Runs against the local control plane (`conveyor kube up`) with the operator as a process under its
ServiceAccount identity, exactly as the integration tests do. Each round applies the local
example into a fresh namespace and polls the API server (every 50 ms) until every child that
rendering says the pipeline owns exists; then deletes a Deployment, a Service and a ConfigMap by
hand and times each until an object of that name with a new uid is back. Targets (issue #4):
under 5 s to all children, under 10 s to repair. Figures go to build/bench/operator.json.
`--node` runs the real-node benchmark instead (loadtests/node_bench.py), written to the file's
`node` section; each kind of run keeps the other's figures.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from lightkube import ApiError, Client, KubeConfig
from lightkube.core.resource import NamespacedResource
from rich.console import Console

from loadtests import node_bench
from operators.controller.children import RESOURCES, plain
from operators.local.kube.cluster import KubeCluster
from operators.local.kube.operator_process import running_operator
from operators.paths import REPO_ROOT
from operators.pipeline.objects import Owner
from operators.pipeline.render import render_children
from operators.pipeline.spec import OrderPipelineSpec

EXAMPLE = REPO_ROOT / "operators" / "examples" / "local.yaml"
POLL_S = 0.05
PORT = 18090
APPLY_TARGET_S = 5.0
REPAIR_TARGET_S = 10.0
REPAIRED_KINDS = ("Deployment", "Service", "ConfigMap")
NODE_ROUNDS = 5
API_ROUNDS = 10


def _wait(probe: Callable[[], bool], timeout_s: float) -> float:
    began = time.perf_counter()
    while time.perf_counter() - began < timeout_s:
        if probe():
            return time.perf_counter() - began
        time.sleep(POLL_S)
    raise TimeoutError(f"not done within {timeout_s:.0f} s")


def _exists(client: Client, kind: str, name: str, namespace: str) -> str | None:
    """The object's uid, or None when it is not there."""
    try:
        found = client.get(RESOURCES[kind], name, namespace=namespace)
    except ApiError as exc:
        if exc.status.code == 404:  # noqa: PLR2004
            return None
        raise
    uid = plain(found)["metadata"].get("uid")
    return str(uid) if uid else None


def _round(cluster: KubeCluster, client: Client, body: dict[str, Any]) -> dict[str, float]:
    namespace = f"bench-{uuid.uuid4().hex[:6]}"
    cluster.kubectl(["create", "namespace", namespace])
    body = {**body, "metadata": {"name": "conveyor", "namespace": namespace}}
    spec = OrderPipelineSpec.model_validate(body["spec"])
    owner = Owner("conveyor.dev/v1alpha1", "OrderPipeline", "conveyor", namespace, "-")
    wanted = [
        (c["kind"], c["metadata"]["name"])
        for c in render_children(owner, spec, prometheus_operator=False)
    ]
    try:
        began = time.perf_counter()
        cluster.kubectl(["apply", "-f", "-"], stdin=yaml.safe_dump(body))
        _wait(lambda: all(_exists(client, k, n, namespace) for k, n in wanted), 30)
        figures = {"apply_to_children_s": time.perf_counter() - began}
        for kind in REPAIRED_KINDS:
            name = next(n for k, n in wanted if k == kind)
            before = _exists(client, kind, name, namespace)
            resource: type[NamespacedResource] = RESOURCES[kind]
            client.delete(resource, name, namespace=namespace)
            figures[f"repair_{kind.lower()}_s"] = _wait(
                lambda kind=kind, name=name, before=before: (
                    _exists(  # type: ignore[misc]
                        client, kind, name, namespace
                    )
                    not in {None, before}
                ),
                30,
            )
        return figures
    finally:
        cluster.kubectl(["delete", "namespace", namespace, "--wait=false"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, help="10 (API server) or 5 (--node) unless given")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "build" / "bench" / "operator.json")
    parser.add_argument(
        "--node",
        action="store_true",
        help="on the real node instead (root; loadtests/node_bench.py; 5 rounds unless --rounds)",
    )
    args = parser.parse_args(argv)
    console = Console()
    if args.node:
        return 0 if node_bench.run(args.rounds or NODE_ROUNDS, args.out, console) else 1
    args.rounds = args.rounds or API_ROUNDS
    cluster = KubeCluster()
    cluster.up(Console(file=io.StringIO()))
    cluster.install_operator_resources()
    body = yaml.safe_load(EXAMPLE.read_text())
    client = Client(KubeConfig.from_file(cluster.kubeconfig()), field_manager="bench")
    rounds: list[dict[str, float]] = []
    with running_operator(cluster, priority=900, port=PORT, name="bench"):
        _round(cluster, client, body)  # warm-up: imports, watch streams, connection pools
        for n in range(args.rounds):
            rounds.append(_round(cluster, client, body))
            console.print(f"  round {n + 1}/{args.rounds}: " + ", ".join(
                f"{key} {value:.2f}" for key, value in rounds[-1].items()
            ))  # fmt: skip
    summary = {
        key: {
            "p50_s": round(statistics.median(r[key] for r in rounds), 3),
            "max_s": round(max(r[key] for r in rounds), 3),
        }
        for key in rounds[0]
    }
    node_bench.write_section(args.out, None, {"rounds": rounds, "summary": summary})
    apply_max = summary["apply_to_children_s"]["max_s"]
    repair_max = max(v["max_s"] for k, v in summary.items() if k.startswith("repair_"))
    for key, value in summary.items():
        console.print(f"{key:24} p50 {value['p50_s']:.2f} s   max {value['max_s']:.2f} s")
    met = apply_max < APPLY_TARGET_S and repair_max < REPAIR_TARGET_S
    console.print(
        f"targets: apply→children < {APPLY_TARGET_S:.0f} s, repair < {REPAIR_TARGET_S:.0f} s: "
        + ("[green]met[/]" if met else "[red]missed[/]")
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
