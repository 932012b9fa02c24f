"""The supervisor reaps every replica it started, whoever stopped it: it leaves no zombie behind.

Replicas are stopped here the ways a day of work stops them: `conveyor local restart` (another
process stops the replica and drops its pid file), a kill of a held replica, and a scale-down the
supervisor carries out itself. Afterwards no child of the supervisor may be a zombie (state Z in
/proc) for longer than a tick or two.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from operators.local.processes import Liveness
from operators.local.stack import LocalStack
from tests.support.eventually import eventually_sync

WORKLOAD = "notification"  # the cheapest to restart: nothing waits on it


def _zombie_children(parent: int) -> list[str]:
    """Every process in state Z whose parent is `parent`, as 'pid (command)'."""
    zombies = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # gone meanwhile
        fields = raw[raw.rindex(")") + 2 :].split()
        if fields[0] == "Z" and int(fields[1]) == parent:
            zombies.append(f"{stat.parent.name} {raw[raw.index('(') : raw.rindex(')') + 1]}")
    return zombies


def _wait_replaced(stack: LocalStack, replica: int, before: int | None) -> None:
    process = stack.workloads.process(WORKLOAD, replica)

    def replaced() -> None:
        pid = process.pid()
        assert pid not in {before, None}, f"{WORKLOAD}-{replica} was not started again"
        assert process.liveness() is Liveness.ALIVE, f"{WORKLOAD}-{replica} is not alive"

    eventually_sync(replaced, within_s=30)


def test_replicas_stopped_by_anyone_leave_no_zombie(stack: LocalStack, quiet: Console) -> None:
    workloads = stack.workloads
    supervisor = stack.supervisor.pid()
    assert supervisor is not None
    assert stack.supervisor.liveness() is Liveness.ALIVE
    replicas = workloads.desired()[WORKLOAD].replicas
    try:
        for _ in range(3):  # restarted by another process, which also drops the pid file
            before = workloads.process(WORKLOAD, 0).pid()
            assert f"{WORKLOAD}-0" in workloads.restart(WORKLOAD, stack.settings.stop_timeout_s)
            _wait_replaced(stack, 0, before)
            stack.wait_for_workloads(quiet)

        before = workloads.process(WORKLOAD, 0).pid()
        workloads.hold(WORKLOAD, 0)  # SIGKILLed by this process, kept down
        workloads.release(WORKLOAD, 0)
        _wait_replaced(stack, 0, before)

        workloads.scale(WORKLOAD, replicas + 1)  # a replica the supervisor then stops itself
        _wait_replaced(stack, replicas, None)
        workloads.scale(WORKLOAD, replicas)

        def scaled_down() -> None:
            assert workloads.process(WORKLOAD, replicas).liveness() is Liveness.NEVER_STARTED

        eventually_sync(scaled_down, within_s=30)
    finally:
        workloads.release(WORKLOAD)
        workloads.scale(WORKLOAD, replicas)
        stack.wait_for_workloads(quiet)

    def reaped() -> None:
        zombies = _zombie_children(supervisor)
        assert not zombies, f"the supervisor (pid {supervisor}) left zombie children: {zombies}"

    eventually_sync(reaped, within_s=5)
