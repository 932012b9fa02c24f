"""What the ramp-up did, kept when Locust resets its statistics once every user has started.

Imported by a locustfile whose figures are read for the steady state (`--reset-stats`, the
runner's `Options.steady_only`): when spawning completes, and before Locust's own listener resets
the statistics, the requests and failures so far are written to `CONVEYOR_LOAD_RAMP_FILE` (JSON),
so a failure during the ramp-up is still counted by whoever reads the run. Only the process that
owns the totals writes (a local runner or the master); without the variable nothing is written.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from locust import events
from locust.env import Environment
from locust.runners import WorkerRunner

_ENV = "CONVEYOR_LOAD_RAMP_FILE"
_seen: dict[str, Any] = {}


def _started(environment: Environment, **_: Any) -> None:
    _seen["environment"], _seen["began"] = environment, time.monotonic()


def _spawned(user_count: int, **_: Any) -> None:
    target, environment = os.environ.get(_ENV), _seen.get("environment")
    if not target or environment is None or isinstance(environment.runner, WorkerRunner):
        return
    total = environment.stats.total
    Path(target).write_text(
        json.dumps({
            "users": user_count,
            "seconds": round(time.monotonic() - _seen["began"], 1),
            "requests": total.num_requests,
            "failures": total.num_failures,
        }) + "\n",
        encoding="utf-8",
    )  # fmt: skip


events.test_start.add_listener(_started)  # type: ignore[no-untyped-call]
events.spawning_complete.add_listener(_spawned)  # type: ignore[no-untyped-call]
