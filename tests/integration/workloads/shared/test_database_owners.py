"""The database-owner bootstrap, run as a cluster's Job runs it, on the real local PostgreSQL.

`python -m workloads.shared.database_owners` gets the master URL and one workload URL (a scratch
role and database, dropped afterwards); afterwards that role logs in to its own database, another
workload's role cannot connect to it, and a second run changes nothing but succeeds.
"""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import asyncpg
import pytest
from rich.console import Console

from operators.local.servers.postgres import Postgres
from operators.local.settings import LocalStackSettings


@pytest.fixture(scope="module")
def postgres() -> Postgres:
    server = Postgres(LocalStackSettings())
    server.start(Console(file=io.StringIO(), width=120))
    return server


@pytest.fixture
def scratch(postgres: Postgres) -> Iterator[str]:
    name = f"conveyor_scratch_{uuid.uuid4().hex[:8]}"
    yield name

    async def drop() -> None:
        conn = await asyncpg.connect(postgres.admin_dsn())
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {name}")
            await conn.execute(f"DROP ROLE IF EXISTS {name}")
        finally:
            await conn.close()

    asyncio.run(drop())


async def _open_and_close(url: str) -> None:
    opened = await asyncpg.connect(url)
    await opened.close()  # only reached when the database is open to others


def _job(master: str, **urls: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_URL")}
    env |= {"MASTER_DATABASE_URL": master} | {
        f"DATABASE_URL_{k.upper()}": v for k, v in urls.items()
    }
    return subprocess.run(
        [sys.executable, "-m", "workloads.shared.database_owners"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


async def test_a_workload_gets_its_own_database_that_no_other_role_may_open(
    postgres: Postgres, scratch: str
) -> None:
    url = f"postgresql://{scratch}:pw-{uuid.uuid4().hex}@{postgres.address}/{scratch}"
    first = _job(postgres.admin_dsn(), scratch=url)
    assert first.returncode == 0, first.stderr
    assert f"created: {scratch}" in first.stdout

    own = await asyncpg.connect(url)
    assert await own.fetchval("SELECT current_database()") == scratch
    await own.close()
    stranger = postgres.dsn("order").rsplit("/", 1)[0] + f"/{scratch}"
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await _open_and_close(stranger)

    again = _job(postgres.admin_dsn(), scratch=url)
    assert again.returncode == 0, again.stderr
    assert "created: -" in again.stdout
    assert "pw-" not in again.stdout + again.stderr  # the password is never printed


def test_a_name_that_is_not_a_plain_identifier_is_refused(postgres: Postgres) -> None:
    url = f"postgresql://x:pw@{postgres.address}/bad;drop"
    refused = _job(postgres.admin_dsn(), evil=url)
    assert refused.returncode != 0
    assert "workload evil" in refused.stderr
