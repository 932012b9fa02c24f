"""Small, typed helpers for tests that talk to the local API server through kubectl."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import yaml

from operators.local.kube.cluster import KubeCluster
from operators.local.kube.operator_process import OperatorProcess
from operators.paths import REPO_ROOT

EXAMPLES = REPO_ROOT / "operators" / "examples"


class Kubectl:
    def __init__(self, cluster: KubeCluster) -> None:
        self.cluster = cluster

    def run(self, *args: str, stdin: str | None = None) -> str:
        return self.cluster.kubectl(list(args), stdin=stdin).stdout

    def attempt(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.cluster.kubectl(list(args), stdin=stdin, check=False)

    def get(self, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
        result = self.attempt("get", kind, name, "-n", namespace, "-o", "json")
        if result.returncode != 0:
            if "NotFound" in result.stderr:
                return None
            raise AssertionError(result.stderr)
        found: dict[str, Any] = json.loads(result.stdout)
        return found

    def items(self, kind: str, namespace: str, selector: str = "") -> list[dict[str, Any]]:
        args = ["get", kind, "-n", namespace, "-o", "json"]
        if selector:
            args += ["-l", selector]
        listed: list[dict[str, Any]] = json.loads(self.run(*args))["items"]
        return listed

    def apply(self, manifest: dict[str, Any]) -> str:
        return self.run("apply", "-f", "-", stdin=yaml.safe_dump(manifest))


def pipeline(example: str, namespace: str, name: str = "conveyor") -> dict[str, Any]:
    """One of operators/examples/, moved into the test's namespace."""
    body: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{example}.yaml").read_text())
    body["metadata"] = {"name": name, "namespace": namespace}
    return body


def handled(operator: OperatorProcess, handler: str, kind: str, name: str, namespace: str) -> int:
    """How many times the operator's log says `handler` succeeded for this object.

    kopf logs "Handler '<id>' succeeded." once per event it handled, with the object as
    `pipeline` (the log_refkey), so a count that went up proves an event was handled.
    """
    count = 0
    for line in operator.log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        ref = entry.get("pipeline") if isinstance(entry, dict) else None
        if (
            isinstance(ref, dict)
            and entry.get("message") == f"Handler {handler!r} succeeded."
            and (ref.get("kind"), ref.get("name"), ref.get("namespace")) == (kind, name, namespace)
        ):
            count += 1
    return count
