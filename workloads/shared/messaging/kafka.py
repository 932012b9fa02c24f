"""Kafka producers, consumers and topic administration, configured once for every service.

Guarantees chosen here, not per call site:
- producers are idempotent with `acks=all`, so a retried send never duplicates or reorders a
  message within a partition;
- consumers never auto-commit: a service commits an offset only after the effect of the message
  is durable, which makes delivery at-least-once and lets the inbox make the effect once;
- consumers read committed records only, so aborted transactional writes are never seen;
- a client that cannot reach the brokers is retried with capped, jittered back-off (`connect`),
  one log line per attempt, so a service starts and serves HTTP while Kafka is down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError
from aiokafka.helpers import create_ssl_context
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workloads.contracts.topics import TopicSpec
from workloads.shared.resiliency import Timeout

log = logging.getLogger(__name__)

# What a lost or missing broker raises: aiokafka's own family, asyncio's timeout, sockets.
UNREACHABLE: tuple[type[BaseException], ...] = (KafkaError, TimeoutError, OSError)


@dataclass(frozen=True)
class Backoff:
    """Capped exponential back-off for reconnecting: 0.5 s, 1 s, 2 s, 4 s, then every 5 s."""

    initial_s: float = 0.5
    max_s: float = 5.0

    def delay(self, failures: int) -> float:
        """The pause after the `failures`-th failure in a row (1-based)."""
        return float(min(self.max_s, self.initial_s * 2 ** max(0, failures - 1)))


DEFAULT_BACKOFF = Backoff()


class Startable(Protocol):
    async def start(self) -> None: ...


async def connect(
    client: Startable,
    *,
    what: str,
    backoff: Backoff = DEFAULT_BACKOFF,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,  # tests pass fake time
) -> None:
    """Start an aiokafka client, retrying until the brokers answer; never gives up.

    aiokafka's `start()` fails before it changes any state when no broker answers (bootstrap),
    so calling it again on the same object is safe. Each failed attempt logs one WARNING with
    the next pause; the pause grows to `backoff.max_s`, which bounds both the log rate and the
    time to notice that Kafka is back.
    """
    failures = 0
    while True:
        try:
            await client.start()
        except UNREACHABLE as exc:
            failures += 1
            pause = backoff.delay(failures)
            log.warning(
                "%s cannot reach Kafka (attempt %d): %r; retrying in %.1fs",
                what,
                failures,
                exc,
                pause,
            )
            await sleep(pause)
        else:
            if failures:
                log.info("%s connected to Kafka after %d failed attempts", what, failures)
            return


class KafkaSettings(BaseSettings):
    """Where Kafka is and who this client is; read from `KAFKA_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore", frozen=True)

    bootstrap_servers: str = "127.0.0.1:19092"
    client_id: str = "conveyor"
    request_timeout_ms: int = Field(default=30_000, gt=0)
    # SASL/SCRAM over TLS when a username is set (MSK's port 9096); plaintext otherwise (local).
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = "SCRAM-SHA-512"

    @model_validator(mode="after")
    def _credentials_come_in_pairs(self) -> KafkaSettings:
        if (self.sasl_username is None) != (self.sasl_password is None):
            raise ValueError("KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD must be set together")
        return self

    def connection(self) -> dict[str, Any]:
        """The options every aiokafka client needs to reach and authenticate to the brokers."""
        options: dict[str, Any] = {"bootstrap_servers": self.bootstrap_servers}
        if self.sasl_username is not None and self.sasl_password is not None:
            options |= {
                "security_protocol": "SASL_SSL",
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password.get_secret_value(),
                "ssl_context": create_ssl_context(),  # the system's CAs verify the brokers
            }
        return options

    def with_timeout(self, timeout: Timeout | None) -> KafkaSettings:
        """The pipeline's `kafka` timeout as the request timeout; None keeps the default.

        The services apply it to their producer only: a consumer's group requests (join, sync)
        legitimately wait for a rebalance and keep the default.
        """
        if timeout is None:
            return self
        return self.model_copy(update={"request_timeout_ms": max(1, round(timeout.seconds * 1000))})


def create_producer(settings: KafkaSettings) -> AIOKafkaProducer:
    """An idempotent, acks=all producer; start() it before use and stop() it after."""
    return AIOKafkaProducer(
        **settings.connection(),
        client_id=settings.client_id,
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=settings.request_timeout_ms,
    )


def create_consumer(settings: KafkaSettings, *topics: str, group_id: str) -> AIOKafkaConsumer:
    """A group consumer with manual commits that starts at the earliest uncommitted record."""
    return AIOKafkaConsumer(
        *topics,
        **settings.connection(),
        client_id=settings.client_id,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        request_timeout_ms=settings.request_timeout_ms,
        # A killed member holds its partitions until its session expires: keep that short.
        session_timeout_ms=6_000,
        heartbeat_interval_ms=1_500,
    )


@dataclass(frozen=True)
class TopicChanges:
    created: list[str]
    repartitioned: list[str]
    reconfigured: list[str]


async def ensure_topics(settings: KafkaSettings, specs: Iterable[TopicSpec]) -> TopicChanges:
    """Bring the broker's topics up to the declaration; never deletes, never shrinks partitions."""
    specs = list(specs)
    admin = AIOKafkaAdminClient(
        **settings.connection(),
        client_id=f"{settings.client_id}-admin",
        request_timeout_ms=settings.request_timeout_ms,
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(
                        s.name,
                        s.partitions,
                        replication_factor=s.replication_factor,
                        topic_configs=s.configs(),
                    )
                    for s in missing
                ]
            )
        present = [spec for spec in specs if spec.name in existing]
        repartitioned = await _grow_partitions(admin, present)
        reconfigured = await _align_configs(admin, present)
    finally:
        await admin.close()
    return TopicChanges([s.name for s in missing], repartitioned, reconfigured)


async def _grow_partitions(admin: AIOKafkaAdminClient, specs: list[TopicSpec]) -> list[str]:
    if not specs:
        return []
    described = await admin.describe_topics([s.name for s in specs])
    counts = {t["topic"]: len(t["partitions"]) for t in described}
    grow = {s.name: NewPartitions(s.partitions) for s in specs if counts[s.name] < s.partitions}
    if grow:
        await admin.create_partitions(grow)
    return sorted(grow)


async def _align_configs(admin: AIOKafkaAdminClient, specs: list[TopicSpec]) -> list[str]:
    if not specs:
        return []
    resources = [ConfigResource(ConfigResourceType.TOPIC, s.name) for s in specs]
    responses = await admin.describe_configs(resources)
    actual: dict[str, dict[str, str]] = {}
    for response in responses:
        for _code, _msg, _type, name, entries in response.resources:
            actual[name] = {entry[0]: entry[1] for entry in entries}
    drifted = [s for s in specs if any(actual[s.name].get(k) != v for k, v in s.configs().items())]
    if drifted:
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, s.name, s.configs()) for s in drifted]
        )
    return [s.name for s in drifted]
