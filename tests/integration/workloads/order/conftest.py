"""A scratch order database on the stack's PostgreSQL, migrated like the service's own.

The running order service sweeps its own database; crafted overdue rows there would race with
it. A database of its own per test, with the same migrations, keeps the sweeper under test the
only one acting on them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from pydantic import SecretStr

from operators.local.stack import LocalStack
from workloads.shared.database import DatabaseSettings, Pool, create_pool
from workloads.shared.migrations import migrate

ORDER_MIGRATIONS = Path(__file__).resolve().parents[4] / "workloads" / "order" / "migrations"


@pytest.fixture
async def order_pool(stack: LocalStack) -> AsyncIterator[Pool]:
    service_dsn = stack.postgres.dsn("order")
    owner = service_dsn.split("://", 1)[1].split(":", 1)[0]
    name = f"order_sweeper_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(stack.postgres.admin_dsn())
    try:
        await admin.execute(f"CREATE DATABASE {name} OWNER {owner}")
        pool = await create_pool(
            DatabaseSettings(url=SecretStr(f"{service_dsn.rsplit('/', 1)[0]}/{name}"))
        )
        try:
            await migrate(pool, ORDER_MIGRATIONS)
            yield pool
        finally:
            await pool.close()
        await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    finally:
        await admin.close()
