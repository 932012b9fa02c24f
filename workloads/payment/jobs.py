"""The settlement job: calls owed to the card provider, made outside any transaction.

Intents are recorded with their command (`payments.request_charge`/`request_refund`); their
commit NOTIFYs this job, which also polls once a second as a safety net. Each round claims the
due intents (a lease longer than a whole round of attempts, taken in one autocommit statement),
calls the provider for each concurrently — no transaction and no row lock is held during a call —
and records each answer in a transaction of its own (`handlers.settle`), under the trace context
the intent was recorded with, so the call and the reply belong to the order's trace.

Failure behaviour: no answer after the bounded attempts postpones the intent with back-off
(doubling to 30 s) and keeps the error; it is retried until answered, never guessed, because the
money may have moved. A crash at any point leaves the intent unsettled: when its lease runs out
the next round (this replica after its restart, or another) calls again with the same key. Two
claimers of one intent (a lease outrun) are harmless: the provider answers both with the one
charge, and only the first answer is recorded. Lost LISTEN connections are re-opened; any other
error ends the job, and with it the process (crash-only, see `workloads.shared.runtime`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence

import asyncpg
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Gauge

from workloads.payment import handlers, payments
from workloads.payment.payments import Intent
from workloads.payment.provider import (
    PaymentProvider,
    ProviderRejectedError,
    ProviderUnavailableError,
)
from workloads.payment.settings import PaymentSettings
from workloads.shared.database import Pool
from workloads.shared.runtime import Runtime
from workloads.shared.telemetry import handling

log = logging.getLogger(__name__)
MAX_POSTPONE_S = 30.0

provider_calls = Counter(
    "conveyor_payment_provider_settlements_total",
    "Intents settled (or postponed) with the card provider, by operation and outcome",
    ["operation", "outcome"],
)
intents_unsettled = Gauge(
    "conveyor_payment_intents_unsettled", "Provider calls recorded and not yet answered"
)


class Settlement:
    def __init__(
        self,
        *,
        dsn: str,
        pool: Pool,
        provider: PaymentProvider,
        lease_s: float,
        concurrency: int,
        poll_s: float = 1.0,
    ) -> None:
        self._dsn = dsn
        self._pool = pool
        self._provider = provider
        self._lease_s = lease_s
        self._concurrency = concurrency
        self._poll_s = poll_s
        self._wake = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._failure: BaseException | None = None

    async def run(self) -> None:
        try:
            while True:
                try:
                    await self._run_once()
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("settlement lost its database connection, retrying: %s", exc)
                    await asyncio.sleep(1)
        finally:
            for task in self._inflight:
                task.cancel()
            await asyncio.gather(*self._inflight, return_exceptions=True)
            await self._provider.close()

    async def _run_once(self) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(self._dsn)
        try:
            await conn.add_listener(payments.CHANNEL, lambda *_: self._wake.set())
            while True:
                self._wake.clear()
                if self._failure is not None:
                    raise self._failure
                free = self._concurrency - len(self._inflight)
                if free > 0:
                    for intent in await payments.claim(
                        self._pool, lease_s=self._lease_s, limit=free
                    ):
                        self._start(intent)
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_s)
                except TimeoutError:
                    intents_unsettled.set(await payments.unsettled(self._pool))
        finally:
            await conn.close()

    def _start(self, intent: Intent) -> None:
        task = asyncio.ensure_future(self._settle(intent))
        self._inflight.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._failure = task.exception()
        self._wake.set()  # capacity is free, and a refund may have waited for this charge

    async def _settle(self, intent: Intent) -> None:
        with handling(
            f"settle {intent.operation}",
            correlation=intent.command.correlation_id,
            carrier=intent.trace,
            kind=SpanKind.INTERNAL,
        ):
            await self._settle_traced(intent)

    async def _settle_traced(self, intent: Intent) -> None:
        try:
            outcome = await handlers.settle(self._pool, self._provider, intent)
        except (ProviderUnavailableError, ProviderRejectedError) as exc:
            retry_in = min(MAX_POSTPONE_S, 0.5 * 2 ** min(intent.attempts, 6))
            log.warning(
                "%s for order %s postponed %.1f s (attempt round %d): %s",
                intent.operation, intent.order_id, retry_in, intent.attempts, exc,
            )  # fmt: skip
            await payments.postpone(self._pool, intent, str(exc), retry_in_s=retry_in)
            outcome = "postponed"
        except (OSError, asyncpg.PostgresError) as exc:  # the lease brings it back
            log.warning("recording %s failed, retried after the lease: %s", intent.key, exc)
            outcome = "database_error"
        provider_calls.labels(intent.operation, outcome).inc()


def build(runtime: Runtime) -> Sequence[tuple[str, Awaitable[None]]]:
    settings = runtime.settings
    if not isinstance(settings, PaymentSettings):
        raise TypeError("the payment jobs need PaymentSettings")
    provider = PaymentProvider(
        base_url=settings.payment_provider_url,
        timeout_s=settings.payment_provider_timeout_s,
        attempts=settings.payment_provider_attempts,
    )
    settlement = Settlement(
        dsn=settings.database_url.get_secret_value(),
        pool=runtime.pool,
        provider=provider,
        lease_s=settings.provider_lease_s,
        concurrency=settings.payment_provider_concurrency,
    )
    return [("provider-settlement", settlement.run())]
