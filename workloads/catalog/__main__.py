"""`python -m workloads.catalog`: run the catalog service; `app()` is its composition root.

Besides what every service has (pool, producer, outbox relay, from the shared runtime), the
catalog has a cache: one Redis client and one circuit breaker per process, shared by the routes
(`api`), the invalidating consumer (`consumers`) and the job retrying parked invalidations
(`jobs`). Creating the client does no I/O; Redis may be down at start and the service still
serves, from the database.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from workloads.catalog import api, consumers, jobs
from workloads.catalog.settings import CatalogSettings
from workloads.shared.breaker import CircuitBreaker
from workloads.shared.cache import RedisSettings, create_redis
from workloads.shared.cache_aside import CacheAside
from workloads.shared.runtime import create_app, serve

CACHE_NAME = "catalog:v1"  # the key prefix; a new value format takes a new version


def cache_of(settings: CatalogSettings) -> CacheAside:
    policies = settings.resiliency.target("redis")
    timeout_s = policies.timeout.seconds if policies.timeout else settings.redis_timeout_s
    redis = create_redis(RedisSettings(url=settings.redis_url, socket_timeout_s=timeout_s))
    breaker = CircuitBreaker.from_spec(
        "redis", policies.circuit_breaker, default_open_s=settings.breaker_open_s
    )
    return CacheAside(
        redis,
        name=CACHE_NAME,
        breaker=breaker,
        ttl_s=settings.cache_ttl_s,
        stale_s=settings.cache_stale_s,
        wait_s=settings.cache_wait_s,
    )


def app(settings: CatalogSettings | None = None) -> FastAPI:
    settings = settings or CatalogSettings()  # type: ignore[call-arg]
    cache = cache_of(settings)
    return create_app(
        settings=settings,
        migrations=Path(__file__).parent / "migrations",
        routers=api.routers(settings.admin_token.get_secret_value(), cache),
        consumers=consumers.builder(cache),
        jobs=jobs.builder(cache),
    )


if __name__ == "__main__":
    settings = CatalogSettings()  # type: ignore[call-arg]
    serve(app(settings), settings)
