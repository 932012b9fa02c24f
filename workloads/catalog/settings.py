"""Settings of the catalog service (plain environment variables).

`REDIS_URL` (a secret) is the cache; `CACHE_TTL_S` how long an entry is fresh, `CACHE_STALE_S` how
long past that it may still be served while one request refreshes it, `CACHE_WAIT_S` how long a
request waits for another's load of the same key before loading itself. The breaker around Redis
and Redis's socket timeout come from the pipeline's `redis` target (resiliency.py), with built-in
defaults when it names none. `INVALIDATION_RETRY_S` is how often invalidations Redis could not
take are retried. `ADMIN_TOKEN` guards the writes until the gateway authenticates them.
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from workloads.shared.runtime import ServiceSettings


class CatalogSettings(ServiceSettings):
    service_name: str = "catalog"
    admin_token: SecretStr
    redis_url: SecretStr
    cache_ttl_s: float = Field(default=300.0, gt=0)
    cache_stale_s: float = Field(default=30.0, ge=0)
    cache_wait_s: float = Field(default=2.0, gt=0)
    redis_timeout_s: float = Field(default=0.5, gt=0)
    breaker_open_s: float = Field(default=5.0, gt=0)
    invalidation_retry_s: float = Field(default=1.0, gt=0)
