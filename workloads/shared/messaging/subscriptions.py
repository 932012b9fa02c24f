"""What a consumer is told: the message types it reads and their handlers, how a failing record is
retried, and the test seam around each effect. Data only; `consumer.EventConsumer` acts on it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from tenacity import wait_exponential_jitter, wait_fixed
from tenacity.wait import wait_base

from workloads.contracts.events import Payload
from workloads.contracts.registry import spec_of
from workloads.shared.database import Connection
from workloads.shared.messaging.envelope import Envelope
from workloads.shared.resiliency import Retry

Handler = Callable[[Connection, Envelope], Awaitable[None]]
# Runs in a batch's transaction before its records: the service locks what they will change, in
# one global order, so batches of different partitions cannot deadlock.
BatchHook = Callable[[Connection, Sequence[Envelope]], Awaitable[None]]


@dataclass(frozen=True)
class Reads:
    """A consumer's contract for one message type: the versions it declares and its model.

    Contract tests check the model against every version producers may send.
    """

    message_type: str
    versions: frozenset[int]
    model: type[Payload]


@dataclass(frozen=True)
class Subscription:
    """A message type this consumer reads, and the handler that applies it."""

    reads: Reads
    handler: Handler

    @property
    def message_type(self) -> str:
        return self.reads.message_type

    @property
    def topic(self) -> str:
        return spec_of(self.message_type).topic


class ConsumerHooks(Protocol):
    """A test seam around each record's effect; production consumers have none."""

    async def before_apply(self, envelope: Envelope) -> None:
        """Called before the effect's transaction; raising fails this attempt."""

    async def after_commit(self, envelope: Envelope) -> None:
        """Called after the effect committed, before the record's offset is committed."""


@dataclass(frozen=True)
class RetryPolicy:
    """How a failing record is retried before the DLQ; the defaults are the built-in policy."""

    max_attempts: int = 3
    initial_backoff_s: float = 0.05
    max_backoff_s: float = 1.0
    backoff: Literal["exponential", "constant"] = "exponential"

    @classmethod
    def from_spec(cls, retry: Retry | None) -> RetryPolicy:
        """The pipeline's `kafka` retry policy, or the built-in one when it sets none."""
        if retry is None:
            return cls()
        return cls(
            max_attempts=retry.attempts,
            initial_backoff_s=retry.initial_interval_seconds,
            max_backoff_s=retry.max_interval_seconds,
            backoff=retry.backoff,
        )

    def wait(self) -> wait_base:
        """Exponential: doubling from the initial interval, jittered by it, capped; or fixed."""
        if self.backoff == "constant":
            return wait_fixed(self.initial_backoff_s)
        return wait_exponential_jitter(
            multiplier=self.initial_backoff_s,
            max=self.max_backoff_s,
            jitter=self.initial_backoff_s,
        )
