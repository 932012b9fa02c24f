"""The local stack as a whole: servers, then workloads under a supervisor.

`up` installs what is missing, starts servers in dependency order (stopping at the first failure,
with that server's log), then reads the OrderPipeline file (operators/local/plan.py), writes
its plan and each workload's environment, starts the supervisor, which starts the workloads, and
waits until every desired replica reports ready. `down` stops, in reverse, only what this runner
started. State lives under one folder (`.local/` by default, git-ignored).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterable

from rich.console import Console

from operators.local import flags_file
from operators.local.installs import ensure_installed
from operators.local.plan import Connections, LocalPlan, environment, plan, read
from operators.local.processes import Liveness, ManagedProcess
from operators.local.secrets import read_or_create
from operators.local.servers import (
    Alertmanager,
    Collector,
    Kafka,
    PaymentProvider,
    Postgres,
    Prometheus,
    Redis,
    Server,
    ServerStatus,
    Toxiproxy,
    Zipkin,
)
from operators.local.servers.base import ServerError
from operators.local.settings import LocalStackSettings
from operators.local.workloads import ReplicaStatus, Workloads, WorkloadState
from operators.paths import REPO_ROOT
from workloads.catalogue import WORKLOADS


class UnknownServerError(ValueError):
    pass


class LocalStack:
    def __init__(self, settings: LocalStackSettings | None = None) -> None:
        self.settings = settings or LocalStackSettings()
        self.postgres = Postgres(self.settings)
        self.redis = Redis(self.settings)
        self.kafka = Kafka(self.settings)
        self.alertmanager = Alertmanager(self.settings)
        self.prometheus = Prometheus(self.settings)
        self.payment_provider = PaymentProvider(self.settings)
        self.zipkin = Zipkin(self.settings)
        self.collector = Collector(self.settings)
        self.servers: tuple[Server, ...] = (
            self.postgres,
            self.redis,
            self.kafka,
            self.alertmanager,
            self.prometheus,
            self.payment_provider,
            self.zipkin,
            self.collector,
        )
        # Started on demand by the chaos suite only (ADR 0026); `down` stops it with the rest.
        self.toxiproxy = Toxiproxy(self.settings)
        self.workloads = Workloads(self.settings)
        self.supervisor = ManagedProcess(
            "supervisor",
            self.settings.state_dir / "run" / "supervisor.pid",
            self.settings.state_dir / "logs" / "supervisor.log",
        )

    def select(self, names: Iterable[str] = ()) -> list[Server]:
        wanted = list(names)
        known = {server.name: server for server in self.servers}
        unknown = [name for name in wanted if name not in known]
        if unknown:
            raise UnknownServerError(
                f"unknown server {', '.join(unknown)}; choose from {', '.join(known)}"
            )
        return [s for s in self.servers if not wanted or s.name in wanted]

    def _prepare_state_dir(self) -> None:
        state = self.settings.state_dir
        state.mkdir(parents=True, exist_ok=True)
        state.chmod(0o755)  # servers running as their own users must reach their folders
        self.settings.secrets_dir.mkdir(mode=0o700, exist_ok=True)

    def admin_token(self) -> str:
        return read_or_create(self.settings.secrets_dir / "admin-token")

    def up(
        self, console: Console, names: Iterable[str] = (), *, workloads: bool = True
    ) -> list[str]:
        """Start the selected servers (all by default) and, for a full `up`, the workloads."""
        servers = self.select(names)
        if workloads and not list(names):
            self.read_pipeline()  # an invalid file fails before anything starts
            spec = read(self.settings.pipeline).spec
            flags_file.write_from_pipeline(flags_file.location(self.settings), spec)
        ensure_installed([req for s in servers for req in s.requirements()], console)
        self._prepare_state_dir()
        started = [server.name for server in servers if server.start(console)]
        if workloads and not list(names):
            self.start_workloads(console)
        return started

    def read_pipeline(self) -> LocalPlan:
        """The plan of the configured pipeline file (raises PipelineError naming the field)."""
        path = self.settings.pipeline
        return plan(read(path), source=str(path))

    def start_workloads(self, console: Console) -> None:
        """Run what the pipeline file describes: its plan becomes the desired state.

        Workloads whose environment changed since the last `up` are restarted, so the running
        processes match the file; a paused pipeline starts (and changes) nothing.
        """
        pipeline = read(self.settings.pipeline)
        planned = plan(pipeline, source=str(self.settings.pipeline))
        for name in planned.skipped:
            console.print(f"  [yellow]•[/] {name}: in the pipeline but not runnable yet, skipped")
        if planned.paused:
            console.print(f"  [yellow]•[/] {planned.source} is paused: no workloads started")
            return
        stack = self.connections()
        env = {w.name: environment(pipeline.spec, w.name, stack) for w in planned.workloads}
        env_file = self.settings.state_dir / "run" / "workload-env.json"
        previous: dict[str, dict[str, str]] = {}
        if env_file.exists():
            previous = json.loads(env_file.read_text())
        env_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = env_file.with_suffix(".tmp")  # the supervisor reads it every tick: swap, never tear
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(env, handle)
        tmp.replace(env_file)
        self.workloads.apply(planned)
        if self.supervisor.liveness() is not Liveness.ALIVE:
            self.supervisor.forget()
            self.supervisor.spawn(
                [sys.executable, "-m", "operators.local.supervisor"], cwd=REPO_ROOT
            )
        else:
            for name in sorted(n for n in env if previous.get(n) != env[n]):
                self.workloads.restart(name, self.settings.stop_timeout_s)
        self.wait_for_workloads(console)

    def publish_scrape_targets(self) -> None:
        desired = self.workloads.desired()
        self.prometheus.write_targets(
            {w.name: [self.workloads.address(w.name, r) for r in range(desired[w.name].replicas)]
             for w in self.workloads.runnable()}
        )  # fmt: skip

    def wait_for_workloads(self, console: Console) -> list[ReplicaStatus]:
        self.publish_scrape_targets()
        began = time.monotonic()
        deadline = began + self.settings.start_timeout_s
        with console.status("  workloads: waiting until every replica is ready…") as progress:
            while True:
                rows = self.workloads.status()
                desired = self.workloads.desired()
                waiting = [
                    r
                    for r in rows
                    if r.state not in {WorkloadState.READY, WorkloadState.HELD}
                    and r.replica < desired[r.name].replicas
                ]
                if not waiting:
                    break
                names = ", ".join(f"{r.name}-{r.replica}" for r in waiting)
                progress.update(f"  workloads: waiting for {names}")
                if self.supervisor.liveness() is not Liveness.ALIVE:
                    raise ServerError(self._tail("the workload supervisor exited", self.supervisor))
                if time.monotonic() > deadline:
                    first = waiting[0]
                    process = self.workloads.process(first.name, first.replica)
                    raise ServerError(
                        self._tail(f"{first.name}-{first.replica} is not ready", process)
                    )
                time.sleep(0.25)
        for row in rows:
            console.print(
                f"  [green]✓[/] {row.name}-{row.replica}: {row.state.value} on {row.address}"
            )
        console.print(f"  workloads ready in {time.monotonic() - began:.1f} s")
        return rows

    @staticmethod
    def _tail(headline: str, process: ManagedProcess) -> str:
        lines = "\n".join(f"    {line}" for line in process.log_tail(25))
        return f"{headline}. Last lines of {process.log_file}:\n{lines}"

    def down(self, names: Iterable[str] = ()) -> list[str]:
        """Stop what this runner started (workloads first on a full `down`); returns the names."""
        stopped: list[str] = []
        if not list(names):
            if self.supervisor.stop(sig=signal.SIGTERM, timeout_s=self.settings.stop_timeout_s):
                stopped.append("supervisor")
            stopped += self.workloads.stop_all(self.settings.stop_timeout_s)
            if self.toxiproxy.stop():
                stopped.append(self.toxiproxy.name)
        return stopped + [s.name for s in reversed(self.select(names)) if s.stop()]

    def status(self, names: Iterable[str] = ()) -> list[ServerStatus]:
        return [server.status() for server in self.select(names)]

    def connections(self) -> Connections:
        """How workloads reach this stack (secrets: never printed by default)."""
        return Connections(
            host=self.settings.host,
            kafka_bootstrap_servers=self.kafka.bootstrap_servers,
            database_urls={w.name: self.postgres.dsn(w.name) for w in WORKLOADS if w.owns_database},
            redis_url=self.redis.url(),
            admin_token=self.admin_token(),
            payment_provider_url=self.payment_provider.url,
            otlp_endpoint=self.collector.otlp_http_url,
            upstream_registry=str(self.workloads.registry_file),
            flags_file=str(flags_file.location(self.settings)),
            signing_key_passphrase=read_or_create(
                self.settings.secrets_dir / "signing-key-passphrase"
            ),
        )

    def environment(self) -> dict[str, str]:
        """Connection settings for the workloads, as environment variables (contains secrets)."""
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "REDIS_URL": self.redis.url(),
            "PROMETHEUS_URL": f"http://{self.prometheus.address}",
            "ADMIN_TOKEN": self.admin_token(),
            "PAYMENT_PROVIDER_URL": self.payment_provider.url,
            "OTEL_EXPORTER_OTLP_ENDPOINT": self.collector.otlp_http_url,
        }
        for workload in WORKLOADS:
            if workload.owns_database:
                env[f"{workload.name.upper()}_DATABASE_URL"] = self.postgres.dsn(workload.name)
        return env
