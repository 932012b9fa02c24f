"""Redis from Debian's package, on loopback with a generated password and append-only durability."""

from __future__ import annotations

import redis
from rich.console import Console

from operators.local.installs import Requirement, binary
from operators.local.secrets import read_or_create
from operators.local.servers.base import Server


class Redis(Server):
    name = "redis"

    @property
    def port(self) -> int:
        return self.settings.redis_port

    @property
    def port_setting(self) -> str:
        return "CONVEYOR_REDIS_PORT"

    def requirements(self) -> list[Requirement]:
        return [binary("redis-server", "Redis server", "redis-server")]

    def password(self) -> str:
        return read_or_create(self.settings.secrets_dir / "redis")

    def url(self, db: int = 0) -> str:
        return f"redis://:{self.password()}@{self.address}/{db}"

    def prepare(self, console: Console) -> None:
        self.ensure_dir(self.dir)
        config = self.dir / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    f"bind {self.settings.host}",
                    f"port {self.port}",
                    "protected-mode yes",
                    "daemonize no",
                    f'dir "{self.dir}"',
                    'logfile ""',
                    "appendonly yes",
                    "appendfsync everysec",
                    "maxmemory 256mb",
                    "maxmemory-policy noeviction",
                    f"requirepass {self.password()}",
                    "",
                ]
            )
        )
        config.chmod(0o600)

    def command(self) -> list[str]:
        return ["redis-server", str(self.dir / "redis.conf")]

    def probe(self) -> bool:
        client = redis.Redis(
            host=self.settings.host,
            port=self.port,
            password=self.password(),
            socket_connect_timeout=0.5,
            socket_timeout=0.5,
        )
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()
