"""Failure injection for the e2e tests, installed into a service's consumers from outside.

A service loads this module only when its environment names it in `CONVEYOR_TEST_HOOKS`
(workloads/shared/runtime.py); a production pipeline refuses that variable and every `FAULT_*`
one (operators/pipeline/spec.py), and production images carry no `tests` package. The e2e tests
set the variables per workload through the local runner (`Workloads.set_env`):

- `FAULT_FAIL_EVENT_TYPES=A,B`: every attempt to handle those event types fails, so they end in
  the DLQ after the retries;
- `FAULT_CRASH_AFTER_APPLY=Type` with `FAULT_CRASH_MARKER=/path`: once (the marker file records
  it), the process exits right after the effect of such an event committed and before its offset
  is committed: the crash the inbox must make harmless.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from workloads.shared.messaging.consumer import ConsumerHooks
from workloads.shared.messaging.envelope import Envelope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Faults:
    fail_event_types: frozenset[str] = frozenset()
    crash_after_apply: str | None = None
    crash_marker: Path | None = None

    async def before_apply(self, envelope: Envelope) -> None:
        if envelope.event_type in self.fail_event_types:
            raise RuntimeError(f"injected failure for {envelope.event_type}")

    async def after_commit(self, envelope: Envelope) -> None:
        if envelope.event_type != self.crash_after_apply or self.crash_marker is None:
            return
        if self.crash_marker.exists():
            return
        self.crash_marker.write_text("crashed once")
        await asyncio.sleep(0.5)  # let the relay publish the reply: crash after publishing
        log.critical(
            "injected crash after applying %s, before the offset commit", envelope.event_id
        )
        os._exit(3)


def consumer_hooks() -> ConsumerHooks:
    """The faults the `FAULT_*` variables of this process ask for (none when unset)."""
    marker = os.environ.get("FAULT_CRASH_MARKER")
    return Faults(
        fail_event_types=frozenset(
            t for t in os.environ.get("FAULT_FAIL_EVENT_TYPES", "").split(",") if t
        ),
        crash_after_apply=os.environ.get("FAULT_CRASH_AFTER_APPLY") or None,
        crash_marker=Path(marker) if marker else None,
    )
