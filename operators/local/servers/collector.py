"""The OpenTelemetry Collector of the local stack: OTLP in from the services, Zipkin out.

The binary is built from Go modules on first use (`collector_build.py`), and it runs the one
configuration file the cluster's collector uses too (observability/collector/config.yaml),
filled in through its `${env:…}` variables: loopback addresses, the local Zipkin, and the local
sampling knobs — a short `decision_wait` and every trace kept, so a developer (and the trace
test) sees each order; errors and slow sagas are kept by the same policies as in a cluster. A
`CONVEYOR_TRACE_*` variable in the runner's environment overrides a knob. Ready when the OTLP/HTTP
receiver accepts an (empty) export, which needs the whole pipeline started.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from http import HTTPStatus

from rich.console import Console

from operators.local.collector_build import CONFIG, CollectorBinary
from operators.local.installs import Requirement
from operators.local.ports import is_listening
from operators.local.servers.base import Server, ServerError

# Sampling knobs on the laptop; the cluster's are in platform/conveyor_platform/observability.py.
LOCAL_SAMPLING = {
    "CONVEYOR_TRACE_DECISION_WAIT": "5s",
    "CONVEYOR_TRACE_SLOW_MS": "2000",
    "CONVEYOR_TRACE_KEEP_PERCENT": "100",
}


class Collector(Server):
    name = "otel-collector"

    @property
    def port(self) -> int:
        return self.settings.otlp_http_port

    @property
    def port_setting(self) -> str:
        return "CONVEYOR_OTLP_HTTP_PORT"

    @property
    def otlp_http_url(self) -> str:
        """Where the services send spans (OTEL_EXPORTER_OTLP_ENDPOINT)."""
        return f"http://{self.address}"

    @property
    def binary(self) -> CollectorBinary:
        return CollectorBinary(cache_dir=self.settings.cache_dir)

    def requirements(self) -> list[Requirement]:
        return []  # Go is checked by the build, with its own message

    def prepare(self, console: Console) -> None:
        self.binary.ensure(console)
        self.ensure_dir(self.dir)
        grpc = self.settings.otlp_grpc_port
        if is_listening(self.settings.host, grpc):
            raise ServerError(
                f"{self.name}: port {grpc} is already in use by a process conveyor did not "
                "start. Stop it, or choose another port with CONVEYOR_OTLP_GRPC_PORT=<port>."
            )

    def command(self) -> list[str]:
        return [str(self.binary.path), f"--config={CONFIG}"]

    def environment(self) -> dict[str, str]:
        host, zipkin = self.settings.host, self.settings.zipkin_port
        knobs = {k: os.environ.get(k, default) for k, default in LOCAL_SAMPLING.items()}
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GOMAXPROCS": "1",
            "GOMEMLIMIT": "256MiB",
            "CONVEYOR_OTELCOL_GRPC_ENDPOINT": f"{host}:{self.settings.otlp_grpc_port}",
            "CONVEYOR_OTELCOL_HTTP_ENDPOINT": self.address,
            "CONVEYOR_OTELCOL_METRICS_LEVEL": "none",
            "CONVEYOR_ZIPKIN_ENDPOINT": f"http://{host}:{zipkin}/api/v2/spans",
            **knobs,
        }

    def probe(self) -> bool:
        request = urllib.request.Request(  # noqa: S310 - our own loopback address
            f"{self.otlp_http_url}/v1/traces",
            data=b"{}",
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=1) as response:  # noqa: S310
                return bool(response.status == HTTPStatus.OK)
        except (urllib.error.URLError, OSError):
            return False
