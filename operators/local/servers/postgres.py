"""PostgreSQL from Debian's package: one cluster, one database and one owning role per service.

Authentication is scram-sha-256 on loopback with generated passwords, also for the admin role,
so the local stack is shaped like production (no trust auth). PostgreSQL refuses to run as root,
so when the runner is root the cluster belongs to Debian's `postgres` system user.
"""

from __future__ import annotations

import os
import pwd
import re
import signal
import subprocess
from pathlib import Path

import asyncpg
from rich.console import Console

from operators.local.aio import run_sync
from operators.local.installs import Requirement
from operators.local.secrets import read_or_create
from operators.local.servers.base import Server, ServerError
from workloads.catalogue import WORKLOADS, database_name
from workloads.shared.database_owners import ensure_owner, owner_from_url

ADMIN_ROLE = "conveyor_admin"


def _bin_dir() -> Path | None:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda p: int(re.sub(r"\D", "", p.parent.parent.name) or 0),
    )
    return candidates[-1].parent if candidates else None


class Postgres(Server):
    name = "postgres"
    stop_signal = signal.SIGINT  # "fast" shutdown: roll back clients, checkpoint, exit

    @property
    def port(self) -> int:
        return self.settings.postgres_port

    @property
    def port_setting(self) -> str:
        return "CONVEYOR_POSTGRES_PORT"

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.dir / "run"

    def requirements(self) -> list[Requirement]:
        return [Requirement("PostgreSQL server", ("postgresql",), lambda: _bin_dir() is not None)]

    def run_as(self) -> str | None:
        return "postgres" if os.geteuid() == 0 else None

    def admin_password(self) -> str:
        return read_or_create(self.settings.secrets_dir / "postgres-admin")

    def service_password(self, workload: str) -> str:
        return read_or_create(self.settings.secrets_dir / f"postgres-{workload}")

    def _bin(self, program: str) -> str:
        bin_dir = _bin_dir()
        if bin_dir is None:
            raise ServerError("PostgreSQL binaries not found under /usr/lib/postgresql")
        return str(bin_dir / program)

    def prepare(self, console: Console) -> None:
        owner = self.run_as()
        self.ensure_dir(self.dir, owner=owner)
        if owner:
            _grant_traverse(self.dir, owner, console)
        self.ensure_dir(self.socket_dir, owner=owner)
        if (self.data_dir / "PG_VERSION").exists():
            return
        console.print("  postgres: initialising a new cluster")
        pwfile = self.dir / "initdb-password"
        pwfile.write_text(self.admin_password())
        pwfile.chmod(0o600)
        if owner:
            os.chown(pwfile, *_ids(owner))
        try:
            result = subprocess.run(
                [
                    self._bin("initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    ADMIN_ROLE,
                    "--auth=scram-sha-256",
                    f"--pwfile={pwfile}",
                    "-E",
                    "UTF8",
                    "--no-locale",
                ],
                cwd=self.dir,
                user=owner,
                group=owner,
                extra_groups=[] if owner else None,
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise ServerError(f"initdb failed:\n{result.stdout}{result.stderr}")

    def command(self) -> list[str]:
        return [
            self._bin("postgres"),
            "-D",
            str(self.data_dir),
            "-c",
            f"listen_addresses={self.settings.host}",
            "-c",
            f"port={self.port}",
            "-c",
            f"unix_socket_directories={self.socket_dir}",
            "-c",
            "max_connections=300",
            "-c",
            "shared_buffers=128MB",
            "-c",
            "password_encryption=scram-sha-256",
            "-c",  # statements per database, read by the saga benchmark (loadtests/run.py)
            "shared_preload_libraries=pg_stat_statements",
        ]

    def probe(self) -> bool:
        result = subprocess.run(
            [self._bin("pg_isready"), "-q", "-h", self.settings.host, "-p", str(self.port)],
            check=False,
        )
        return result.returncode == 0

    def dsn(self, workload: str) -> str:
        role = database_name(workload)
        password = self.service_password(workload)
        return f"postgresql://{role}:{password}@{self.address}/{role}"

    def admin_dsn(self) -> str:
        return f"postgresql://{ADMIN_ROLE}:{self.admin_password()}@{self.address}/postgres"

    def after_ready(self, console: Console) -> None:
        created = run_sync(self._ensure_databases())
        if created:
            console.print(f"  postgres: created databases {', '.join(created)}")

    async def _ensure_databases(self) -> list[str]:
        """One role and one database per workload that owns data; nobody else may connect.

        The same call a cluster's bootstrap Job makes against RDS (workloads/shared/
        database_owners.py), from the same kind of URL the workload itself is given. The
        admin's own database gets the `pg_stat_statements` view (the server preloads it), where
        the saga benchmark counts each database's statements.
        """
        created: list[str] = []
        conn = await asyncpg.connect(self.admin_dsn())
        try:
            await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            for workload in (w for w in WORKLOADS if w.owns_database):
                if await ensure_owner(conn, owner_from_url(self.dsn(workload.name))):
                    created.append(database_name(workload.name))
        finally:
            await conn.close()
        return created


def _ids(user: str) -> tuple[int, int]:
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def _grant_traverse(path: Path, user: str, console: Console) -> None:
    """Let the server's user reach its folder: add search-only permission where it is missing.

    A checkout under a private home folder (mode 0700) would otherwise hide the data folder from
    the `postgres` user. Only the execute bit is added, so nothing becomes listable or readable.
    """
    uid, gid = _ids(user)
    for parent in reversed(path.parents):
        info = parent.stat()
        if info.st_uid == uid or (info.st_gid == gid and info.st_mode & 0o010):
            continue
        if not info.st_mode & 0o001:
            parent.chmod(info.st_mode | 0o001)
            console.print(f"  postgres: allowed {user} to traverse {parent} (o+x)")
