"""The local stack as a whole: which servers, in which order, and what `up`/`down` mean.

`up` installs what is missing, then starts servers in dependency order and stops at the first
failure with that server's log. `down` stops, in reverse order, only the servers whose pid files
this runner wrote. State lives under one folder (`.local/` by default, git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console

from operators.local.installs import ensure_installed
from operators.local.servers import Kafka, Postgres, Prometheus, Redis, Server, ServerStatus
from operators.local.settings import LocalStackSettings
from workloads.catalogue import WORKLOADS


class UnknownServerError(ValueError):
    pass


class LocalStack:
    def __init__(self, settings: LocalStackSettings | None = None) -> None:
        self.settings = settings or LocalStackSettings()
        self.postgres = Postgres(self.settings)
        self.redis = Redis(self.settings)
        self.kafka = Kafka(self.settings)
        self.prometheus = Prometheus(self.settings)
        self.servers: tuple[Server, ...] = (self.postgres, self.redis, self.kafka, self.prometheus)

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

    def up(self, console: Console, names: Iterable[str] = ()) -> list[str]:
        """Start the selected servers (all by default); returns the names this call started."""
        servers = self.select(names)
        ensure_installed([req for s in servers for req in s.requirements()], console)
        self._prepare_state_dir()
        return [server.name for server in servers if server.start(console)]

    def down(self, names: Iterable[str] = ()) -> list[str]:
        """Stop the selected servers that this runner started; returns the names it stopped."""
        return [server.name for server in reversed(self.select(names)) if server.stop()]

    def status(self, names: Iterable[str] = ()) -> list[ServerStatus]:
        return [server.status() for server in self.select(names)]

    def environment(self) -> dict[str, str]:
        """Connection settings for the workloads, as environment variables (contains secrets)."""
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "REDIS_URL": self.redis.url(),
            "PROMETHEUS_URL": f"http://{self.prometheus.address}",
        }
        for workload in WORKLOADS:
            if workload.owns_database:
                env[f"{workload.name.upper()}_DATABASE_URL"] = self.postgres.dsn(workload.name)
        return env
