"""The gateway's composition root: one HTTP client, the registry, an upstream per workload.

No database and no Kafka: the gateway keeps no state but the rate-limit windows in Redis and
what it learns by probing. It is ready as soon as its first round of health checks has run,
whatever it found (a service that is down answers 503 through the gateway, not a gateway that
never starts). Every answer the gateway gives itself is a problem document, behind the same edge
middleware as every service (correlation id, trace, request metrics, a quiet 500).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import aiohttp
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder

from workloads.catalogue import WORKLOADS
from workloads.gateway import openapi, proxy
from workloads.gateway.access import Verifier
from workloads.gateway.balancing import balancer
from workloads.gateway.limits import ClientLimit
from workloads.gateway.registry import Registry
from workloads.gateway.settings import GatewaySettings
from workloads.gateway.state import Gateway, GatewayDep
from workloads.gateway.upstreams import Upstream, client_session
from workloads.shared.breaker import CircuitBreaker
from workloads.shared.cache import RedisSettings, create_redis
from workloads.shared.draining import DRAIN
from workloads.shared.edge import EdgeMiddleware
from workloads.shared.forwarded import networks
from workloads.shared.problems import install as install_problems
from workloads.shared.ratelimit import SlidingWindowLimiter
from workloads.shared.telemetry import configure_logging, configure_tracing

ROUTED = tuple(w.name for w in WORKLOADS if w.serves)


def upstreams_of(
    settings: GatewaySettings, registry: Registry, client: aiohttp.ClientSession
) -> dict[str, Upstream]:
    built: dict[str, Upstream] = {}
    for name in ROUTED:
        policies = settings.resiliency.target(name)
        breaker = CircuitBreaker.from_spec(f"upstream:{name}", policies.circuit_breaker)
        built[name] = Upstream(
            name=name,
            registry=registry,
            balancer=balancer(settings.balancing),
            breaker=breaker,
            client=client,
            timeout_s=policies.timeout.seconds if policies.timeout else settings.upstream_timeout_s,
            max_concurrent=settings.bulkhead_max_concurrent,
            max_wait_s=settings.bulkhead_max_wait_s,
            retry=policies.retry,
            breaker_open_s=(
                policies.circuit_breaker.timeout_seconds if policies.circuit_breaker else 5.0
            ),
        )
    return built


def create_app(
    settings: GatewaySettings,
    *,
    verifier: Callable[[dict[str, Upstream]], Verifier],
    routers: Sequence[APIRouter] = (),
) -> FastAPI:
    configure_logging(settings.service_name, settings.log_level)
    tracing = configure_tracing(
        settings.service_name,
        otlp_endpoint=settings.otlp_endpoint,
        sample_ratio=settings.trace_sample_ratio,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis_timeout = settings.resiliency.target("redis").timeout
        redis = create_redis(
            RedisSettings(
                url=settings.redis_url,
                socket_timeout_s=redis_timeout.seconds if redis_timeout else 0.5,
            )
        )
        window = SlidingWindowLimiter(
            redis,
            name=settings.rate_limit_name,
            limit=settings.rate_limit_requests,
            window_s=settings.rate_limit_window_s,
        )
        async with client_session() as client:
            registry = Registry(
                static=settings.static_upstreams(),
                registry_file=settings.upstream_registry,
                client=client,
                interval_s=settings.health_interval_s,
                timeout_s=settings.health_timeout_s,
                unhealthy_after=settings.health_unhealthy_threshold,
            )
            await registry.check_once()
            upstreams = upstreams_of(settings, registry, client)
            app.state.gateway = Gateway(
                registry=registry,
                upstreams=upstreams,
                verifier=verifier(upstreams),
                limiter=ClientLimit(window),
                client=client,
                admin_token=settings.admin_token.get_secret_value(),
            )
            checking = asyncio.ensure_future(registry.run())
            try:
                yield
            finally:
                checking.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await checking
                await redis.aclose()
                tracing.force_flush(timeout_millis=2_000)

    app = FastAPI(
        title="conveyor gateway", lifespan=lifespan, openapi_url=None, docs_url=None,
        redoc_url=None,
    )  # fmt: skip
    app.state.trusted_proxies = networks(settings.trusted_proxies)  # forwarding.client_of
    app.add_middleware(EdgeMiddleware, max_body_bytes=settings.max_body_bytes)
    install_problems(app)
    app.include_router(_health())
    for router in routers:
        app.include_router(router)
    app.include_router(openapi.router(app))
    app.include_router(proxy.router())  # last: the gateway's own routes win
    return app


def _health() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health/live", include_in_schema=False)
    async def live() -> dict[str, str]:
        return {"status": "alive"}

    @router.get("/health/ready", include_in_schema=False)
    async def ready(gateway: GatewayDep) -> JSONResponse:
        upstreams = {name: len(gateway.registry.healthy(name)) for name in gateway.upstreams}
        if DRAIN.active:  # stopping: endpoints should drop this replica (draining.py)
            body = {"ready": False, "draining": True, "healthy_replicas": upstreams}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"ready": True, "healthy_replicas": upstreams})

    @router.get("/metrics", include_in_schema=False)
    async def metrics_endpoint(request: Request) -> Response:
        encode, media_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(REGISTRY), media_type=media_type)

    return router
