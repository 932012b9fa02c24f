"""PostgreSQL access for a service: one async engine per process, transactions as the unit of work.

Every write a service makes goes through `transaction()`: the state change, its outbox event and
its inbox record commit together or not at all. Leaving the block with an exception rolls back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine


class DatabaseSettings(BaseSettings):
    """The service's own database (`DATABASE_URL`); the URL is a secret and never logged."""

    model_config = SettingsConfigDict(env_prefix="DATABASE_", extra="ignore", frozen=True)

    url: SecretStr
    pool_size: int = Field(default=10, ge=1)
    max_overflow: int = Field(default=10, ge=0)
    pool_timeout_s: float = Field(default=5.0, gt=0)
    statement_timeout_ms: int = Field(default=5_000, gt=0)


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """An asyncpg-backed engine; statements that run away are cancelled by the server."""
    return create_async_engine(
        settings.url.get_secret_value(),
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout_s,
        pool_pre_ping=True,
        connect_args={"server_settings": {"statement_timeout": str(settings.statement_timeout_ms)}},
    )


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside one transaction: committed on success, rolled back on any exception."""
    async with engine.begin() as connection:
        yield connection
