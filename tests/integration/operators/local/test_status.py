"""`conveyor local status` tells the truth about each server, including one killed with SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from operators.local.stack import LocalStack
from tests.support.eventually import eventually_sync

CONVEYOR = str(Path(sys.executable).with_name("conveyor"))


def _status() -> tuple[int, dict[str, dict[str, object]]]:
    result = subprocess.run(
        [CONVEYOR, "local", "status", "--json"], capture_output=True, text=True, check=False
    )
    return result.returncode, {row["name"]: row for row in json.loads(result.stdout)["servers"]}


def test_status_reports_every_server_running(stack: LocalStack) -> None:
    code, rows = _status()
    assert code == 0
    assert {name: row["state"] for name, row in rows.items()} == {
        "postgres": "running",
        "redis": "running",
        "kafka": "running",
        "alertmanager": "running",
        "prometheus": "running",
        "payment-provider": "running",
        "zipkin": "running",
        "otel-collector": "running",
    }
    assert all(isinstance(row["pid"], int) for row in rows.values())


def test_status_reports_a_sigkilled_server_as_dead_and_up_revives_it(stack: LocalStack) -> None:
    pid = stack.redis.process.pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)

    def gone() -> None:  # a zombie counts: it runs no more, only its parent has not reaped it
        assert _proc_state(pid) in {"Z", "X"}, f"redis {pid} still runs after SIGKILL"

    eventually_sync(gone, within_s=5, every_s=0.05)

    code, rows = _status()
    assert code == 1, "status must fail while a server is down"
    assert rows["redis"]["state"] == "dead"
    assert rows["redis"]["pid"] == pid
    assert {rows[n]["state"] for n in ("postgres", "kafka", "prometheus")} == {"running"}

    revived = subprocess.run(
        [CONVEYOR, "local", "up", "redis"], capture_output=True, text=True, check=False
    )
    assert revived.returncode == 0, revived.stderr
    code, rows = _status()
    assert code == 0
    assert rows["redis"]["state"] == "running"
    assert rows["redis"]["pid"] != pid


def _proc_state(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return "X"
    return raw[raw.rindex(")") + 2]
