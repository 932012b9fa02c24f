"""Each workload's own database and role, made true from its DATABASE_URL with master rights.

One code path for the local PostgreSQL and for RDS: the local runner calls `ensure_owner` with
its admin connection, and a cluster runs `python -m workloads.shared.database_owners` (a Job with
the master credentials in `MASTER_DATABASE_URL` and each workload's `DATABASE_URL_<NAME>` from
the pipeline's `postgres.secretRef`). A workload's URL is the single source of its role name,
password and database name; this module only makes the server agree with it.

Guarantee: afterwards the role exists, can log in with exactly that password, owns a database of
that name, and PUBLIC has no rights on it (nobody else may connect). Idempotent: an existing role
gets its password reset, an existing database is left as it is. Names are checked against a
strict pattern before they reach SQL (DDL takes no bind parameters); the password is passed as
a quoted literal and never logged. Failure behaviour: any server error propagates; the process
exits non-zero naming the workload, so a Job retries it.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import asyncpg

NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
URL_PREFIX = "DATABASE_URL_"


@dataclass(frozen=True)
class Owner:
    role: str
    password: str
    database: str


def owner_from_url(url: str) -> Owner:
    """The role, password and database a workload's DATABASE_URL names; refuses odd names."""
    parts = urlsplit(url)
    role, password = unquote(parts.username or ""), unquote(parts.password or "")
    database = unquote(parts.path.lstrip("/"))
    for what, value in (("role", role), ("database", database)):
        if not NAME.fullmatch(value):
            raise ValueError(f"the {what} name {value!r} must match {NAME.pattern}")
    if not password:
        raise ValueError(f"the URL of role {role} carries no password")
    return Owner(role, password, database)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def ensure_owner(conn: asyncpg.Connection, owner: Owner) -> bool:
    """Make `owner` true on the server `conn` (master rights) reaches; True if a database was
    created."""
    password = _literal(owner.password)
    if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", owner.role):
        await conn.execute(f"ALTER ROLE {owner.role} WITH LOGIN PASSWORD {password}")
    else:
        await conn.execute(f"CREATE ROLE {owner.role} WITH LOGIN PASSWORD {password}")
    if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", owner.database):
        return False
    # On RDS the master is not a superuser: it must be a member of the role to give it a database.
    await conn.execute(f"GRANT {owner.role} TO CURRENT_USER")
    await conn.execute(f"CREATE DATABASE {owner.database} OWNER {owner.role}")
    await conn.execute(f"REVOKE ALL ON DATABASE {owner.database} FROM PUBLIC")
    return True


async def bootstrap(master_url: str, urls: dict[str, str]) -> list[str]:
    """Every workload's owner from `urls` (workload → DATABASE_URL); the databases created."""
    created: list[str] = []
    conn = await asyncpg.connect(master_url)
    try:
        for workload, url in sorted(urls.items()):
            try:
                owner = owner_from_url(url)
                if await ensure_owner(conn, owner):
                    created.append(owner.database)
            except (ValueError, asyncpg.PostgresError) as exc:
                raise RuntimeError(f"workload {workload}: {exc}") from exc
    finally:
        await conn.close()
    return created


def main() -> int:
    master = os.environ.get("MASTER_DATABASE_URL")
    urls = {
        key.removeprefix(URL_PREFIX).lower(): value
        for key, value in os.environ.items()
        if key.startswith(URL_PREFIX)
    }
    if not master or not urls:
        print(
            "set MASTER_DATABASE_URL and one DATABASE_URL_<WORKLOAD> per workload", file=sys.stderr
        )
        return 2
    created = asyncio.run(bootstrap(master, urls))
    print(f"database owners ready: {', '.join(sorted(urls))}; created: {', '.join(created) or '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
