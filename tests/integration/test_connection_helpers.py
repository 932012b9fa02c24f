"""The project's own PostgreSQL and Redis helpers against the real servers."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import pytest
from pydantic import SecretStr
from sqlalchemy import text

from operators.local.stack import LocalStack
from workloads.shared.cache import RedisSettings, create_redis
from workloads.shared.database import DatabaseSettings, create_engine, transaction


class AbandonedError(RuntimeError):
    """Raised inside a transaction to make it roll back."""


async def test_rolled_back_transaction_leaves_nothing_behind(stack: LocalStack) -> None:
    engine = create_engine(DatabaseSettings(url=SecretStr(stack.postgres.dsn("order"))))
    kept, dropped = f"kept-{uuid.uuid4()}", f"dropped-{uuid.uuid4()}"
    try:
        async with transaction(engine) as conn:
            await conn.execute(
                text("CREATE TABLE IF NOT EXISTS helper_probe (id text PRIMARY KEY)")
            )
        async with transaction(engine) as conn:
            await conn.execute(text("INSERT INTO helper_probe VALUES (:id)"), {"id": kept})
        seen_inside: list[int] = []

        async def write_then_fail() -> None:
            async with transaction(engine) as conn:
                await conn.execute(text("INSERT INTO helper_probe VALUES (:id)"), {"id": dropped})
                query = text("SELECT count(*) FROM helper_probe WHERE id = :id")
                seen_inside.append(await conn.scalar(query, {"id": dropped}))
                raise AbandonedError

        with pytest.raises(AbandonedError):
            await write_then_fail()
        assert seen_inside == [1], "the write was not visible inside its own transaction"
        async with engine.connect() as conn:
            rows = await conn.scalars(
                text("SELECT id FROM helper_probe WHERE id IN (:a, :b)"), {"a": kept, "b": dropped}
            )
            assert set(rows) == {kept}
    finally:
        await engine.dispose()


async def test_a_service_role_cannot_reach_another_services_database(stack: LocalStack) -> None:
    order_dsn = stack.postgres.dsn("order", driver="postgresql")
    foreign = order_dsn.rsplit("/", 1)[0] + "/conveyor_payment"
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(foreign)


async def test_redis_round_trip_with_expiry(stack: LocalStack) -> None:
    client = create_redis(RedisSettings(url=SecretStr(stack.redis.url())))
    key = f"probe:{uuid.uuid4()}"
    try:
        assert await client.set(key, "value", px=400)
        assert await client.get(key) == "value"
        assert 0 < await client.pttl(key) <= 400
        deadline = time.monotonic() + 5
        while await client.exists(key):
            assert time.monotonic() < deadline, "the key outlived its expiry"
            await asyncio.sleep(0.05)
        assert await client.get(key) is None
    finally:
        await client.aclose()
