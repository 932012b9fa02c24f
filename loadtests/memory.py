"""Memory of the stack's processes as PSS, from /proc/<pid>/smaps_rollup.

PSS (proportional set size) charges each shared page to the processes sharing it in equal parts,
so the PSS of all processes adds up to the memory they really use together, unlike RSS, which
counts a shared page once per process. A server's figure is its whole tree (PostgreSQL's
postmaster with every backend, Kafka's JVM, a replica with any child it forked), read through
`loadtests.cpu`'s process table. A process that exits while being read counts as zero; one whose
smaps_rollup cannot be read (another user's) raises PermissionError naming it.
"""

from __future__ import annotations

from collections.abc import Mapping

from loadtests import cpu

GIB = 1024**3


def parse_pss_kib(text: str) -> int:
    """The `Pss:` line of a smaps_rollup file, in KiB (pure)."""
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise ValueError("no Pss: line in smaps_rollup")


def pss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            return parse_pss_kib(handle.read()) * 1024
    except (FileNotFoundError, ProcessLookupError):
        return 0


def tree_pss(root: int, table: Mapping[int, cpu.ProcStat]) -> int:
    children: dict[int, list[int]] = {}
    for stat in table.values():
        children.setdefault(stat.ppid, []).append(stat.pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        if pid in table:
            total += pss_bytes(pid)
        stack.extend(children.get(pid, []))
    return total


def snapshot(trees: Mapping[str, int], alone: Mapping[str, int]) -> dict[str, int]:
    """PSS in bytes per name: `trees` with their descendants, `alone` by themselves."""
    table = cpu.read_table()
    found = {name: tree_pss(pid, table) for name, pid in trees.items()}
    found |= {name: pss_bytes(pid) for name, pid in alone.items()}
    return found


def growth_mib_per_hour(
    first: Mapping[str, int], last: Mapping[str, int], seconds: float
) -> dict[str, float]:
    """Per process, PSS change between two snapshots scaled to an hour (pure)."""
    if seconds <= 0:
        return {}
    return {
        name: round((last[name] - first.get(name, 0)) / 2**20 * 3600 / seconds, 1) for name in last
    }
