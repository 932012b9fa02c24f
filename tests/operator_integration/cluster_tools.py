"""Small, typed helpers for tests that talk to the local API server through kubectl."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml

from operators.kube.cluster import KubeCluster
from operators.kube.credentials import OPERATOR
from operators.local.settings import REPO_ROOT

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


class OperatorProcess:
    """The operator as it runs in production (`python -m operators.pipeline`), as its own user."""

    def __init__(self, cluster: KubeCluster, *, priority: int, port: int, name: str) -> None:
        self.port = port
        self.log = cluster.settings.state_dir / "logs" / f"operator-test-{name}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig(OPERATOR))}
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "operators.pipeline",
                    f"--priority={priority}",
                    f"--liveness=http://127.0.0.1:{port}/healthz",
                ],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def health(self) -> httpx.Response | None:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=5)
        except httpx.HTTPError:
            return None

    def wait_healthy(self) -> None:
        def healthy() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"the operator exited; see {self.log}:\n{self.tail()}")
            response = self.health()
            return response is not None and response.status_code == httpx.codes.OK

        wait_for(f"the operator's liveness endpoint on :{self.port}", healthy, timeout_s=30)

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def logged(self, text: str) -> bool:
        return text in self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def running_operator(
    cluster: KubeCluster, *, priority: int, port: int, name: str
) -> Iterator[OperatorProcess]:
    operator = OperatorProcess(cluster, priority=priority, port=port, name=name)
    try:
        operator.wait_healthy()
        yield operator
    finally:
        operator.stop()


def deploy_files() -> list[Path]:
    deploy = REPO_ROOT / "operators" / "deploy"
    return [deploy / "namespace.yaml", deploy / "peering.yaml", deploy / "rbac.yaml"]
