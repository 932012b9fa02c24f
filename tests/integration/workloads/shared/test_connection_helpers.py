"""The project's own PostgreSQL and Redis helpers against the real servers."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from pydantic import SecretStr

from operators.local.stack import LocalStack
from tests.support.eventually import eventually
from workloads.shared.cache import RedisSettings, create_redis
from workloads.shared.database import DatabaseSettings, create_pool, transaction


class AbandonedError(RuntimeError):
    """Raised inside a transaction to make it roll back."""


async def test_rolled_back_transaction_leaves_nothing_behind(stack: LocalStack) -> None:
    pool = await create_pool(DatabaseSettings(url=SecretStr(stack.postgres.dsn("order"))))
    kept, dropped = f"kept-{uuid.uuid4()}", f"dropped-{uuid.uuid4()}"
    try:
        async with transaction(pool) as conn:
            await conn.execute("CREATE TABLE IF NOT EXISTS helper_probe (id text PRIMARY KEY)")
        async with transaction(pool) as conn:
            await conn.execute("INSERT INTO helper_probe VALUES ($1)", kept)
        seen_inside: list[int] = []

        async def write_then_fail() -> None:
            async with transaction(pool) as conn:
                await conn.execute("INSERT INTO helper_probe VALUES ($1)", dropped)
                query = "SELECT count(*) FROM helper_probe WHERE id = $1"
                seen_inside.append(await conn.fetchval(query, dropped))
                raise AbandonedError

        with pytest.raises(AbandonedError):
            await write_then_fail()
        assert seen_inside == [1], "the write was not visible inside its own transaction"
        rows = await pool.fetch("SELECT id FROM helper_probe WHERE id = ANY($1)", [kept, dropped])
        assert {row["id"] for row in rows} == {kept}
    finally:
        await pool.close()


async def test_a_service_role_cannot_reach_another_services_database(stack: LocalStack) -> None:
    order_dsn = stack.postgres.dsn("order")
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

        async def expired() -> None:
            assert not await client.exists(key), "the key outlived its expiry"

        await eventually(expired, within_s=5, every_s=0.05)
        assert await client.get(key) is None
    finally:
        await client.aclose()
