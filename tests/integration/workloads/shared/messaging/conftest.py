"""A scratch database with the shared messaging tables (outbox, inbox), for tests of their own.

The services' relays never see its rows, and a relay started on it holds the advisory lock alone.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from pydantic import SecretStr

from operators.local.stack import LocalStack
from workloads.shared.database import DatabaseSettings, create_pool
from workloads.shared.migrations import migrate


@pytest.fixture
async def outbox_dsn(stack: LocalStack, tmp_path: Path) -> AsyncIterator[str]:
    name = f"relay_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(stack.postgres.admin_dsn())
    await admin.execute(f"CREATE DATABASE {name}")
    dsn = stack.postgres.admin_dsn().rsplit("/", 1)[0] + f"/{name}"
    pool = await create_pool(DatabaseSettings(url=SecretStr(dsn)))
    try:
        await migrate(pool, tmp_path)  # the shared outbox tables only: no service files
    finally:
        await pool.close()
    try:
        yield dsn
    finally:
        await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        await admin.close()
