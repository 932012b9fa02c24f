"""The supervisor loop: keep the workload processes matching `desired.json`.

Run as its own process by `conveyor local up` (and stopped first by `down`). It never exits on a
workload failure: it logs it, waits a back-off that doubles up to 10 s while a replica keeps
crashing, and tries again. Every tick it also reaps each child it started that has exited, whoever
stopped it (itself, `conveyor local restart`, a test's kill), so none stays a zombie for longer
than a tick.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from types import FrameType

from operators.local.plan import MAX_REPLICAS
from operators.local.processes import Liveness, reap_exited
from operators.local.settings import LocalStackSettings
from operators.local.workloads import Workloads

log = logging.getLogger("conveyor.supervisor")
TICK_S = 0.5
MAX_BACKOFF_S = 10.0


def run(settings: LocalStackSettings) -> None:
    workloads = Workloads(settings)
    env_file = settings.state_dir / "run" / "workload-env.json"
    next_try: dict[str, float] = {}
    backoff: dict[str, float] = {}
    running = True

    def stop(_sig: int, _frame: FrameType | None) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("supervising %s", ", ".join(w.name for w in workloads.runnable()))
    while running:
        for pid, code in reap_exited().items():
            log.info("reaped pid %d (exit status %d)", pid, code)
        desired = workloads.desired()
        base_env = json.loads(env_file.read_text())  # re-read: a later `up` may change it
        now = time.monotonic()
        for workload in workloads.runnable():
            want = desired[workload.name]
            for replica in range(MAX_REPLICAS):
                key = f"{workload.name}-{replica}"
                process = workloads.process(workload.name, replica)
                alive = process.liveness() is Liveness.ALIVE
                if replica >= want.replicas:
                    if alive:
                        log.info("scaling down: stopping %s", key)
                        process.stop(sig=signal.SIGTERM, timeout_s=settings.stop_timeout_s)
                    continue
                if alive or replica in want.held or now < next_try.get(key, 0.0):
                    if alive and now > next_try.get(key, 0.0) + 30:
                        backoff.pop(key, None)  # stable for 30 s: forget past crashes
                    continue
                if process.pid() is not None:
                    log.warning("%s is not running; restarting", key)
                delay = min(backoff.get(key, 0.25) * 2, MAX_BACKOFF_S)
                backoff[key] = delay
                next_try[key] = now + delay
                pid = workloads.spawn(
                    workload, replica, base_env[workload.name], want.env, netns=want.netns
                )
                log.info("started %s (pid %d)", key, pid)
        time.sleep(TICK_S)
    log.info("supervisor stopping")


if __name__ == "__main__":
    logging.basicConfig(
        stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    run(LocalStackSettings())
