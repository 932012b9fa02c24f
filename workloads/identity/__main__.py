"""`python -m workloads.identity`: run the identity service; `app()` is its composition root.

Besides the shared runtime (pool, migrations, health, metrics), identity has a keyring (its
signing keys: created on first start, reloaded every KEY_RELOAD_S so a rotation on one replica
reaches all) and two login limiters in Redis, per client IP and per account. Creating the Redis
client does no I/O: Redis down at start only makes logins answer 503 until it is back.
Identity publishes no events and reads none: it runs without Kafka (`uses_kafka=False`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from pathlib import Path

from fastapi import FastAPI

from workloads.identity import api
from workloads.identity.settings import IdentitySettings
from workloads.identity.signing import Keyring
from workloads.shared.cache import RedisSettings, create_redis
from workloads.shared.ratelimit import SlidingWindowLimiter
from workloads.shared.runtime import Runtime, create_app, serve


def app(settings: IdentitySettings | None = None) -> FastAPI:
    settings = settings or IdentitySettings()  # type: ignore[call-arg]
    keyring = Keyring(
        passphrase=settings.signing_key_passphrase.get_secret_value(),
        previous_passphrase=(
            settings.signing_key_passphrase_previous.get_secret_value()
            if settings.signing_key_passphrase_previous
            else None
        ),
        issuer=settings.issuer,
        audience=settings.audience,
        access_ttl_s=settings.access_token_ttl_s,
        reload_s=settings.key_reload_s,
    )
    redis = create_redis(
        RedisSettings(url=settings.redis_url, socket_timeout_s=settings.redis_timeout_s)
    )
    window = settings.login_window_s
    per_client = SlidingWindowLimiter(
        redis, name="login-client", limit=settings.login_limit_per_client, window_s=window
    )
    per_account = SlidingWindowLimiter(
        redis, name="login-account", limit=settings.login_limit_per_account, window_s=window
    )

    async def reload_keys(runtime: Runtime) -> None:
        while True:
            await asyncio.sleep(settings.key_reload_s)
            await keyring.reload(runtime.pool)

    def jobs(runtime: Runtime) -> Sequence[tuple[str, Awaitable[None]]]:
        return [("reload-signing-keys", reload_keys(runtime))]

    async def on_start(runtime: Runtime) -> None:
        await keyring.ensure(runtime.pool)

    return create_app(
        settings=settings,
        migrations=Path(__file__).parent / "migrations",
        routers=api.routers(
            settings, keyring=keyring, per_client=per_client, per_account=per_account
        ),
        jobs=jobs,
        on_start=on_start,
        uses_kafka=False,  # identity publishes and consumes nothing
    )


if __name__ == "__main__":
    settings = IdentitySettings()  # type: ignore[call-arg]
    serve(app(settings), settings)
