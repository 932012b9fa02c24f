"""One composition root for every service: settings, pool, producer, relay, consumers, HTTP.

A service module provides its migrations folder, a function that builds its consumers and any
periodic jobs, and its routers; `create_app` wires them into a FastAPI app whose lifespan starts
and stops everything. Background work is crash-only: if a consumer, the relay or a job dies with
an unexpected error the process shuts down, and the supervisor (local runner or Kubernetes)
restarts it, which is always safe because offsets and the outbox make every step resumable.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from workloads.shared.database import DatabaseSettings, Pool, create_pool
from workloads.shared.edge import EdgeMiddleware
from workloads.shared.messaging.consumer import (
    BatchHook,
    EventConsumer,
    Faults,
    RetryPolicy,
    Subscription,
)
from workloads.shared.messaging.kafka import KafkaSettings, create_producer
from workloads.shared.messaging.outbox import OutboxRelay
from workloads.shared.migrations import migrate
from workloads.shared.problems import install as install_problems
from workloads.shared.resiliency import Resiliency
from workloads.shared.telemetry import configure_logging, configure_tracing

log = logging.getLogger(__name__)


class ServiceSettings(BaseSettings):
    """Settings shared by every service, from plain environment variables."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = "service"
    replica: int = Field(default=0, ge=0)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    database_url: SecretStr
    database_pool_size: int = Field(default=20, ge=1)
    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    log_level: str = "INFO"
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # Timeouts and retries per target, as the pipeline resolved them (see resiliency.py).
    resiliency: Resiliency = Field(
        default_factory=Resiliency, validation_alias="CONVEYOR_RESILIENCY"
    )
    # failure injection (feature flags), off by default
    fault_fail_event_types: str = ""
    fault_crash_after_apply: str | None = None
    fault_crash_marker: Path | None = None

    def faults(self) -> Faults:
        return Faults(
            fail_event_types=frozenset(t for t in self.fault_fail_event_types.split(",") if t),
            crash_after_apply=self.fault_crash_after_apply,
            crash_marker=self.fault_crash_marker,
        )


@dataclass
class Runtime:
    settings: ServiceSettings
    pool: Pool
    producer: AIOKafkaProducer
    kafka: KafkaSettings
    relay: OutboxRelay
    consumers: list[EventConsumer] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def spawn(self, name: str, work: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        task.set_name(name)
        task.add_done_callback(_crash_on_failure)
        self.tasks.append(task)

    def consumer(
        self,
        group: str,
        subscriptions: Sequence[Subscription],
        *,
        before_batch: BatchHook | None = None,
    ) -> EventConsumer:
        """A consumer wired to this service's pool, producer, Kafka and fault flags."""
        return EventConsumer(
            group=group,
            subscriptions=subscriptions,
            pool=self.pool,
            producer=self.producer,
            kafka=self.kafka,
            retry=RetryPolicy.from_spec(self.settings.resiliency.target("kafka").retry),
            faults=self.settings.faults(),
            before_batch=before_batch,
        )

    async def readiness(self) -> dict[str, bool]:
        checks = {"database": False, "kafka": False, "consumers": False}
        try:
            checks["database"] = await asyncio.wait_for(self.pool.fetchval("SELECT 1"), 1) == 1
        except (TimeoutError, OSError, Exception):
            checks["database"] = False
        checks["kafka"] = bool(self.producer.client.cluster.brokers())
        checks["consumers"] = all(c.joined for c in self.consumers)
        return checks


def _crash_on_failure(task: asyncio.Task[None]) -> None:
    if task.cancelled() or task.exception() is None:
        return
    log.critical("background task %s died: %r; shutting down", task.get_name(), task.exception())
    os.kill(os.getpid(), signal.SIGTERM)


ConsumerFactory = Callable[[Runtime], Sequence[EventConsumer]]
JobFactory = Callable[[Runtime], Sequence[tuple[str, Awaitable[None]]]]


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]


def create_app(
    *,
    settings: ServiceSettings,
    migrations: Path,
    routers: Sequence[APIRouter] = (),
    consumers: ConsumerFactory = lambda _: (),
    jobs: JobFactory = lambda _: (),
    on_start: Callable[[Runtime], Awaitable[Any]] | None = None,
) -> FastAPI:
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = DatabaseSettings(url=settings.database_url, max_size=settings.database_pool_size)
        pool = await create_pool(db.with_timeout(settings.resiliency.target("postgres").timeout))
        applied = await migrate(pool, migrations)
        if applied:
            log.info("migrations applied: %s", ", ".join(applied))
        kafka = KafkaSettings(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id=f"{settings.service_name}-{settings.replica}",
        )
        producer = create_producer(kafka.with_timeout(settings.resiliency.target("kafka").timeout))
        await producer.start()
        relay = OutboxRelay(dsn=settings.database_url.get_secret_value(), producer=producer)
        runtime = Runtime(settings=settings, pool=pool, producer=producer, kafka=kafka, relay=relay)
        app.state.runtime = runtime
        if on_start is not None:
            await on_start(runtime)
        runtime.spawn("outbox-relay", relay.run())
        runtime.consumers.extend(consumers(runtime))
        for consumer in runtime.consumers:
            runtime.spawn(f"consumer-{consumer.group}", consumer.run())
        for name, job in jobs(runtime):
            runtime.spawn(name, job)
        log.info(
            "%s ready to serve on %s:%d",
            settings.service_name,
            settings.http_host,
            settings.http_port,
        )
        try:
            yield
        finally:
            for task in runtime.tasks:
                task.cancel()
            await asyncio.gather(*runtime.tasks, return_exceptions=True)
            await producer.stop()
            await pool.close()

    app = FastAPI(title=f"conveyor {settings.service_name}", lifespan=lifespan)
    app.add_middleware(EdgeMiddleware, max_body_bytes=settings.max_body_bytes)
    install_problems(app)
    app.include_router(_health_router())
    for router in routers:
        app.include_router(router)
    return app


def _health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "alive"}

    @router.get("/health/ready")
    async def ready(runtime: RuntimeDep) -> JSONResponse:
        checks = await runtime.readiness()
        ok = all(checks.values())
        return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

    @router.get("/metrics")
    async def metrics_endpoint() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run the app under uvicorn with uvloop; SIGTERM drains in-flight requests first."""
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
