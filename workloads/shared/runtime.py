"""One composition root for every service: settings, pool, producer, relay, consumers, HTTP.

A service module provides its migrations folder, a function that builds its consumers and any
periodic jobs, and its routers; `create_app` wires them into a FastAPI app whose lifespan starts
and stops everything. Background work is crash-only: if a consumer, the relay or a job dies with
an unexpected error the process shuts down, and the supervisor (local runner or Kubernetes)
restarts it, which is always safe because offsets and the outbox make every step resumable.

Kafka is not needed to start: the HTTP server, the database and the jobs come up at once, and the
producer connects in the background with capped back-off (`kafka.connect`); the outbox relay and
the consumers start once it has. Meanwhile writes land in the outbox and `/health/ready` answers
503 with `kafka: false`. A broker lost later is retried by the relay and the consumers, never
fatal. The database, by contrast, must answer at start-up (migrations run first).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Protocol

import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from workloads.contracts.topics import dlq_topic
from workloads.shared import heap, metrics
from workloads.shared.database import DatabaseSettings, Pool, create_pool
from workloads.shared.draining import DRAIN, DrainingServer
from workloads.shared.edge import EdgeMiddleware
from workloads.shared.flags.client import Flags
from workloads.shared.flags.latency import InjectedLatency
from workloads.shared.messaging import backlog
from workloads.shared.messaging.consumer import (
    BatchHook,
    ConsumerHooks,
    EventConsumer,
    RetryPolicy,
    Subscription,
)
from workloads.shared.messaging.dlq_depth import DlqDepthReader
from workloads.shared.messaging.kafka import KafkaSettings, connect, create_producer
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
    # Traces: exported over OTLP/HTTP to this collector when set; sampled parent-based by ratio.
    otlp_endpoint: str | None = Field(default=None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    trace_sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)
    # Timeouts and retries per target, as the pipeline resolved them (see resiliency.py).
    resiliency: Resiliency = Field(
        default_factory=Resiliency, validation_alias="CONVEYOR_RESILIENCY"
    )
    # A test-support module that installs consumer hooks (tests/support/consumer_faults.py);
    # only a module under `tests.` is accepted, and a production pipeline refuses the variable.
    test_hooks: str | None = Field(default=None, validation_alias="CONVEYOR_TEST_HOOKS")
    # The flagd flags file (feature flags and failure injection), watched while the process runs.
    flags_file: Path | None = Field(default=None, validation_alias="CONVEYOR_FLAGS_FILE")
    # After SIGTERM, serve this long with `Connection: close` and readiness 503 (draining.py).
    shutdown_drain_s: float = Field(default=0.0, ge=0.0, le=120.0)

    def consumer_hooks(self) -> ConsumerHooks | None:
        """The test hooks named by `CONVEYOR_TEST_HOOKS`, or None (always, in production)."""
        if self.test_hooks is None:
            ignored = sorted(name for name in os.environ if name.startswith("FAULT_"))
            if ignored:
                log.warning("%s set without CONVEYOR_TEST_HOOKS: ignored", ", ".join(ignored))
            return None
        if not self.test_hooks.startswith(TEST_HOOKS_PACKAGE):
            raise ValueError(
                f"CONVEYOR_TEST_HOOKS={self.test_hooks!r}: only {TEST_HOOKS_PACKAGE}* modules"
            )
        hooks: ConsumerHooks = importlib.import_module(self.test_hooks).consumer_hooks()
        log.warning("test hooks %s installed in the consumers", self.test_hooks)
        return hooks


TEST_HOOKS_PACKAGE = "tests.support."


@dataclass
class Runtime:
    settings: ServiceSettings
    pool: Pool
    producer: AIOKafkaProducer
    kafka: KafkaSettings
    relay: OutboxRelay
    consumers: list[EventConsumer] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    kafka_connected: asyncio.Event = field(default_factory=asyncio.Event)
    hooks: ConsumerHooks | None = None
    flags: Flags = field(default_factory=Flags.defaults)
    uses_kafka: bool = True  # False: no producer, relay or consumers, and readiness skips Kafka
    stopping: bool = False  # set by the shutdown, before it cancels the background tasks

    def spawn(self, name: str, work: Awaitable[None]) -> None:
        """Run `work` for the life of the process. Crash-only: if it fails, or ends cancelled
        while the process is not stopping (a job that stopped silently would freeze what it
        maintains, a gauge or a relay), the process is ended with SIGTERM and restarted by its
        supervisor."""
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        task.set_name(name)
        task.add_done_callback(self._crash_unless_stopping)
        self.tasks.append(task)

    def _crash_unless_stopping(self, task: asyncio.Task[None]) -> None:
        if self.stopping:
            return
        if task.cancelled():
            reason = "was cancelled"
        elif task.exception() is not None:
            reason = f"died: {task.exception()!r}"
        else:
            return  # finished its work (kafka-clients returns once the clients run)
        log.critical("background task %s %s; shutting down", task.get_name(), reason)
        os.kill(os.getpid(), signal.SIGTERM)

    def consumer(
        self,
        group: str,
        subscriptions: Sequence[Subscription],
        *,
        before_batch: BatchHook | None = None,
    ) -> EventConsumer:
        """A consumer wired to this service's pool, producer, Kafka and test hooks (if any)."""
        return EventConsumer(
            group=group,
            subscriptions=subscriptions,
            pool=self.pool,
            producer=self.producer,
            kafka=self.kafka,
            retry=RetryPolicy.from_spec(self.settings.resiliency.target("kafka").retry),
            hooks=self.hooks,
            before_batch=before_batch,
        )

    async def start_kafka_clients(self) -> None:
        """Connect the producer (retrying until Kafka answers), then start relay and consumers."""
        await connect(self.producer, what=f"{self.settings.service_name} producer")
        self.kafka_connected.set()
        self.spawn("outbox-relay", self.relay.run())
        for consumer in self.consumers:
            self.spawn(f"consumer-{consumer.group}", consumer.run())

    async def readiness(self) -> dict[str, bool]:
        checks = {"database": False, "kafka": False, "consumers": False}
        if not self.uses_kafka:
            del checks["kafka"]
        try:
            checks["database"] = await asyncio.wait_for(self.pool.fetchval("SELECT 1"), 1) == 1
        except (TimeoutError, OSError, Exception):
            checks["database"] = False
        if self.uses_kafka:
            checks["kafka"] = self.kafka_connected.is_set() and bool(
                self.producer.client.cluster.brokers()
            )
        checks["consumers"] = all(c.joined for c in self.consumers)
        return checks


SHUTDOWN_POOL_S = 10.0  # found by the chaos suite: a shutdown hung here after a database restart


ConsumerFactory = Callable[[Runtime], Sequence[EventConsumer]]
JobFactory = Callable[[Runtime], Sequence[tuple[str, Awaitable[None]]]]


async def runtime_of(request: Request) -> Runtime:
    # async on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread
    # hand-off per request (measured, docs/benchmarks.md).
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
    uses_kafka: bool = True,
) -> FastAPI:
    configure_logging(settings.service_name, settings.log_level)
    tracing = configure_tracing(
        settings.service_name,
        otlp_endpoint=settings.otlp_endpoint,
        sample_ratio=settings.trace_sample_ratio,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = DatabaseSettings(url=settings.database_url, max_size=settings.database_pool_size)
        pool = await create_pool(db.with_timeout(settings.resiliency.target("postgres").timeout))
        applied = await migrate(pool, migrations)
        metrics.db_pool_in_use.set_function(lambda: pool.get_size() - pool.get_idle_size())
        metrics.db_pool_max.set(pool.get_max_size())
        if applied:
            log.info("migrations applied: %s", ", ".join(applied))
        kafka = KafkaSettings(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id=f"{settings.service_name}-{settings.replica}",
        )
        producing = kafka.with_timeout(settings.resiliency.target("kafka").timeout)
        producer = create_producer(producing)  # the consumers' (DLQ writes) and readiness's
        relay = OutboxRelay(
            dsn=settings.database_url.get_secret_value(),
            producer=partial(create_producer, producing),  # the relay owns one of its own
        )
        runtime = Runtime(
            settings=settings,
            pool=pool,
            producer=producer,
            kafka=kafka,
            relay=relay,
            hooks=settings.consumer_hooks(),
            flags=flags,
            uses_kafka=uses_kafka,
        )
        app.state.runtime = runtime
        if on_start is not None:
            await on_start(runtime)
        runtime.consumers.extend(consumers(runtime))
        if uses_kafka:
            runtime.spawn("kafka-clients", runtime.start_kafka_clients())
        runtime.spawn("outbox-backlog", backlog.watch(pool))
        dead_letter_topics = sorted({dlq_topic(t) for c in runtime.consumers for t in c.topics})
        if dead_letter_topics:
            runtime.spawn("dlq-depth", DlqDepthReader(kafka, dead_letter_topics).watch())
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
            runtime.stopping = True
            for task in runtime.tasks:
                task.cancel()
            await asyncio.gather(*runtime.tasks, return_exceptions=True)
            await producer.stop()
            try:  # a connection left broken by a lost server can hang a graceful close
                await asyncio.wait_for(pool.close(), SHUTDOWN_POOL_S)
            except TimeoutError:
                log.warning("database pool did not close in %.0f s; terminated", SHUTDOWN_POOL_S)
                pool.terminate()
            flags.close()
            tracing.force_flush(timeout_millis=2_000)  # the last spans, before the process ends

    flags = Flags.from_file(settings.flags_file, domain=settings.service_name)
    flags.export()
    # FastAPI's own telemetry (on by default once a tracer provider exists) would open a second
    # SERVER span per request, outside the edge's, plus spans per dependency and serialisation:
    # the edge traces each request, Prometheus counts them, our logs record errors (ADR 0040).
    app = FastAPI(
        title=f"conveyor {settings.service_name}",
        lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.add_middleware(InjectedLatency, flags=flags, service=settings.service_name)
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
        if DRAIN.active:  # stopping: endpoints should drop this replica (draining.py)
            return JSONResponse({"ready": False, "draining": True, "checks": checks}, 503)
        ok = all(checks.values())
        return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

    @router.get("/metrics")
    async def metrics_endpoint(request: Request) -> Response:
        # OpenMetrics (with exemplars) when the scraper asks for it, else the classic text.
        encode, media_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(REGISTRY), media_type=media_type)

    return router


class Listening(Protocol):
    http_host: str
    http_port: int
    shutdown_drain_s: float


class _Server(DrainingServer):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        frozen = heap.freeze_startup_objects()  # before the first request: heap.py says why
        log.info("started; %d start-up objects frozen out of the garbage collector", frozen)


def serve(app: FastAPI, settings: Listening) -> None:
    """Run the app under uvicorn with uvloop; SIGTERM drains (draining.py), then in-flight
    requests finish before the process exits. Once started, the start-up objects are frozen
    out of the garbage collector's scans (heap.py)."""
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        # No implicit trust of loopback's X-Forwarded-For: a service that needs the client's
        # address asks workloads/shared/forwarded.py, with its own TRUSTED_PROXIES.
        proxy_headers=False,
    )
    _Server(config, drain_s=settings.shutdown_drain_s).run()
