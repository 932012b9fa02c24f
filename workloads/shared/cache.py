"""Redis access for a service: one client with bounded timeouts, so a slow cache fails fast."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from redis.asyncio import Redis


class RedisSettings(BaseSettings):
    """Where Redis is (`REDIS_URL`, with its password: a secret, never logged)."""

    model_config = SettingsConfigDict(env_prefix="REDIS_", extra="ignore", frozen=True)

    url: SecretStr
    socket_timeout_s: float = Field(default=1.0, gt=0)
    max_connections: int = Field(default=50, ge=1)


def create_redis(settings: RedisSettings) -> Redis:
    """A pooled asyncio client that returns str values; close it with `aclose()`."""
    return Redis.from_url(
        settings.url.get_secret_value(),
        decode_responses=True,
        socket_timeout=settings.socket_timeout_s,
        socket_connect_timeout=settings.socket_timeout_s,
        max_connections=settings.max_connections,
        health_check_interval=30,
    )
