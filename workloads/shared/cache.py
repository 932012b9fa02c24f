"""Redis access for a service: one client with bounded timeouts, so a slow cache fails fast."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from redis.asyncio import BlockingConnectionPool, Redis


class RedisSettings(BaseSettings):
    """Where Redis is (`REDIS_URL`, with its password: a secret, never logged)."""

    model_config = SettingsConfigDict(env_prefix="REDIS_", extra="ignore", frozen=True)

    url: SecretStr
    socket_timeout_s: float = Field(default=1.0, gt=0)
    max_connections: int = Field(default=50, ge=1)


def create_redis(settings: RedisSettings) -> Redis:
    """A pooled asyncio client that returns str values; close it with `aclose()`.

    The pool blocks (up to the socket timeout) for a free connection instead of failing with "too
    many connections": a burst of requests waits its turn rather than counting as Redis failing.
    """
    pool = BlockingConnectionPool.from_url(
        settings.url.get_secret_value(),
        decode_responses=True,
        socket_timeout=settings.socket_timeout_s,
        socket_connect_timeout=settings.socket_timeout_s,
        max_connections=settings.max_connections,
        timeout=settings.socket_timeout_s,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)  # the client owns the pool: aclose() closes both
