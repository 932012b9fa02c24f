"""CPU time of the stack's processes, read from /proc/<pid>/stat, and of the driver itself.

A process's CPU time is utime + stime (fields 14 and 15 of /proc/<pid>/stat, in clock ticks,
converted with os.sysconf("SC_CLK_TCK")). A server's figure covers its whole process tree: the
root's own time, the time of children it has already reaped (cutime + cstime, fields 16 and 17),
and every live descendant's own and reaped time; so PostgreSQL counts the postmaster and all its
backends, including those that exited during the run. The supervisor counts only its own time:
its children are the workload replicas, which are counted by name. The driver's time comes from
resource.getrusage(RUSAGE_SELF). A process that vanishes between two reads counts as zero for
that read; a figure is the difference between two snapshots, so it is the run's share only.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcStat:
    pid: int
    ppid: int
    utime: int
    stime: int
    cutime: int
    cstime: int

    @property
    def own_ticks(self) -> int:
        return self.utime + self.stime

    @property
    def reaped_ticks(self) -> int:
        return self.cutime + self.cstime


def parse_stat(text: str) -> ProcStat:
    """Parse one /proc/<pid>/stat line; the command name (field 2) may hold spaces and ')'."""
    head, _, rest = text.rpartition(")")
    if not head:
        raise ValueError(f"not a /proc/<pid>/stat line: {text[:60]!r}")
    pid = int(head.split("(", 1)[0])
    fields = rest.split()  # fields[0] is field 3 (state)
    return ProcStat(
        pid=pid,
        ppid=int(fields[1]),
        utime=int(fields[11]),
        stime=int(fields[12]),
        cutime=int(fields[13]),
        cstime=int(fields[14]),
    )


def tree_ticks(root: int, table: Mapping[int, ProcStat]) -> int:
    """Own and reaped ticks of `root` and of every live descendant in `table`."""
    children: dict[int, list[int]] = {}
    for stat in table.values():
        children.setdefault(stat.ppid, []).append(stat.pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        found = table.get(pid)
        if found is not None:
            total += found.own_ticks + found.reaped_ticks
        stack.extend(children.get(pid, []))
    return total


def read_table() -> dict[int, ProcStat]:
    """Every live process's stat, by pid (processes that exit while reading are skipped)."""
    table: dict[int, ProcStat] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            table[int(entry.name)] = parse_stat((entry / "stat").read_text())
        except (OSError, ValueError, IndexError):
            continue
    return table


def seconds(ticks: int) -> float:
    return ticks / os.sysconf("SC_CLK_TCK")


def driver_seconds() -> float:
    """This process's own CPU time (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Watched:
    """Which pids to measure: trees (servers, replicas) and processes counted alone."""

    trees: Mapping[str, int]
    alone: Mapping[str, int]


def snapshot(watched: Watched) -> dict[str, float]:
    """CPU seconds so far of each watched name, plus `driver` for this process."""
    table = read_table()
    result = {name: seconds(tree_ticks(pid, table)) for name, pid in watched.trees.items()}
    for name, pid in watched.alone.items():
        alone = table.get(pid)
        result[name] = seconds(alone.own_ticks) if alone else 0.0
    result["driver"] = driver_seconds()
    return result


def per_thousand(
    before: Mapping[str, float], after: Mapping[str, float], accepted: int
) -> dict[str, float]:
    """CPU seconds spent between the snapshots per 1,000 accepted orders, per name (pure)."""
    if accepted <= 0:
        return {}
    return {
        name: round((after[name] - before.get(name, 0.0)) * 1000 / accepted, 2) for name in after
    }
