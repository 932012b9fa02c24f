"""Small, typed helpers for tests that talk to the local API server through kubectl."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from typing import Any, TypeVar

import yaml

from operators.local.kube.cluster import KubeCluster
from operators.paths import REPO_ROOT

T = TypeVar("T")
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


def wait_for(what: str, probe: Callable[[], T | None], timeout_s: float = 20.0) -> T:
    """Poll until probe returns something truthy; fail naming what did not happen."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what} (last: {last!r})")
