"""Failure injection for the e2e tests, installed into a service's consumers from outside.

A service loads this module only when its environment names it in `CONVEYOR_TEST_HOOKS`
(workloads/shared/runtime.py); a production pipeline refuses that variable and every `FAULT_*`
one (operators/pipeline/spec.py), and production images carry no `tests` package. The e2e tests
set the variables per workload through the local runner (`Workloads.set_env`):

- `FAULT_FAIL_EVENT_TYPES=A,B`: every attempt to handle those event types fails, so they end in
  the DLQ after the retries;
- `FAULT_CRASH_AFTER_APPLY=Type` with `FAULT_CRASH_MARKER=/path`: once (the marker file records
  it), the process exits right after the effect of such an event committed and its follow-up
  events were published, before the record's offset is committed: the crash the inbox must make
  harmless. "Published" is read in the service's database (`DATABASE_URL`): no outbox row caused
  by the event is left (the relay deletes a row only after the broker's acknowledgement), nor an
  unsettled provider intent it recorded (the payment service answers from its settlement job,
  whose reply is appended in the transaction that settles the intent). The marker says which it
  was (`PUBLISHED`, or `UNPUBLISHED` when they were still pending after `PUBLISH_WITHIN_S`), so
  a test can check that it tested what it meant to.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from tests.support.eventually import eventually
from workloads.shared.messaging.consumer import ConsumerHooks
from workloads.shared.messaging.envelope import Envelope

log = logging.getLogger(__name__)

PUBLISHED = "crashed after its follow-up events were published"
UNPUBLISHED = "crashed with its follow-up events still in the outbox"
PUBLISH_WITHIN_S = 60.0


@dataclass(frozen=True)
class Faults:
    fail_event_types: frozenset[str] = frozenset()
    crash_after_apply: str | None = None
    crash_marker: Path | None = None
    database_url: str | None = None  # where the outbox is watched before the crash

    async def before_apply(self, envelope: Envelope) -> None:
        if envelope.event_type in self.fail_event_types:
            raise RuntimeError(f"injected failure for {envelope.event_type}")

    async def after_commit(self, envelope: Envelope) -> None:
        if envelope.event_type != self.crash_after_apply or self.crash_marker is None:
            return
        if self.crash_marker.exists():
            return
        self.crash_marker.write_text(UNPUBLISHED)  # before waiting: a restart never crashes again
        if await self._published(envelope):
            self.crash_marker.write_text(PUBLISHED)
        log.critical(
            "injected crash after applying %s, before the offset commit", envelope.event_id
        )
        os._exit(3)

    async def _published(self, envelope: Envelope) -> bool:
        """Whether the event's follow-ups were all sent and acknowledged (bounded wait)."""
        if self.database_url is None:
            return False
        conn = await asyncpg.connect(self.database_url)
        event_id = str(envelope.event_id)
        intents = await conn.fetchval("SELECT to_regclass('provider_intents') IS NOT NULL")

        async def follow_ups_published() -> None:
            unsent = await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE headers->>'causation_id' = $1", event_id
            )
            unsettled = 0
            if intents:
                unsettled = await conn.fetchval(
                    "SELECT count(*) FROM provider_intents WHERE settled_at IS NULL"
                    " AND convert_from(command, 'UTF8')::jsonb->>'event_id' = $1",
                    event_id,
                )
            assert unsent == unsettled == 0, (
                f"{event_id}: {unsent} follow-ups unsent, {unsettled} intents unsettled"
            )

        try:
            await eventually(follow_ups_published, within_s=PUBLISH_WITHIN_S, every_s=0.05)
        except AssertionError as exc:
            log.warning("crashing anyway: %s", exc)
            return False
        finally:
            await conn.close()
        return True


def consumer_hooks() -> ConsumerHooks:
    """The faults the `FAULT_*` variables of this process ask for (none when unset)."""
    marker = os.environ.get("FAULT_CRASH_MARKER")
    return Faults(
        fail_event_types=frozenset(
            t for t in os.environ.get("FAULT_FAIL_EVENT_TYPES", "").split(",") if t
        ),
        crash_after_apply=os.environ.get("FAULT_CRASH_AFTER_APPLY") or None,
        crash_marker=Path(marker) if marker else None,
        database_url=os.environ.get("DATABASE_URL") or None,
    )
