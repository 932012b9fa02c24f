"""What the handlers share while the operator runs, kept in kopf's memo under one key.

`configure` (the startup handler) builds one `OperatorState` per process; every other handler
reads it with `operator_state(memo)`. Until startup has stored it, a handler that needs it raises
a retryable error (kopf tries again a second later), and one that merely observes gets None from
`started_state(memo)` and does nothing. The state holds only what cannot live in the cluster: the
client, the lag reader, this replica's peering priority, the watch-health record, the child
generations already repaired, and the pending (debounced) status refreshes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import kopf

from operators.controller.children import Children
from operators.controller.lag import LagSource
from operators.controller.watch_health import WatchHealth

MEMO_KEY = "operator_state"


@dataclass
class OperatorState:
    """What the handlers share, kept in kopf's memo."""

    children: Children
    lag: LagSource
    priority: int
    health: WatchHealth = field(default_factory=WatchHealth)
    generations: dict[str, int] = field(default_factory=dict)  # child uid -> generation applied
    pending_status: dict[tuple[str, str], asyncio.Task[None]] = field(default_factory=dict)
    dirty_status: set[tuple[str, str]] = field(default_factory=set)


def started_state(memo: kopf.Memo) -> OperatorState | None:
    """The state, or None before startup stored it (or after a failed startup)."""
    found = memo.get(MEMO_KEY)
    return found if isinstance(found, OperatorState) else None


def operator_state(memo: kopf.Memo) -> OperatorState:
    """The state; a retryable error while the operator is still starting."""
    found = started_state(memo)
    if found is None:
        raise kopf.TemporaryError("the operator is still starting", delay=1)
    return found
