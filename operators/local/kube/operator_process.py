"""The operator as it runs in production (`python -m operators.controller`), on the local cluster.

Used by the integration tests and the operator benchmark: it authenticates with the operator's
ServiceAccount identity, so the RBAC in operators/deploy/ is what authorizes it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from operators.local.kube.cluster import KubeCluster
from operators.local.kube.credentials import OPERATOR
from operators.paths import REPO_ROOT


class OperatorExitedError(RuntimeError):
    pass


class OperatorProcess:
    def __init__(self, cluster: KubeCluster, *, priority: int, port: int, name: str) -> None:
        self.port = port
        self.log = cluster.settings.state_dir / "logs" / f"operator-{name}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig(OPERATOR))}
        argv = [sys.executable, "-m", "operators.controller", f"--priority={priority}"]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [*argv, f"--liveness=http://127.0.0.1:{port}/healthz"],
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

    def wait_healthy(self, timeout_s: float = 90.0) -> None:  # import alone takes 30 s under load
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise OperatorExitedError(f"the operator exited; see {self.log}:\n{self.tail()}")
            response = self.health()
            if response is not None and response.status_code == httpx.codes.OK:
                return
            time.sleep(0.2)
        raise OperatorExitedError(f"the operator did not answer on :{self.port}:\n{self.tail()}")

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
