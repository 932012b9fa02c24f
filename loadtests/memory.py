"""Memory of the stack's processes as PSS, from /proc/<pid>/smaps_rollup.

PSS (proportional set size) charges each shared page to the processes sharing it in equal parts,
so the PSS of all processes adds up to the memory they really use together, unlike RSS, which
counts a shared page once per process. A server's figure is its whole tree (PostgreSQL's
postmaster with every backend, Kafka's JVM, a replica with any child it forked), read through
`loadtests.cpu`'s process table. A process that exits while being read counts as zero; one whose
smaps_rollup cannot be read (another user's) raises PermissionError naming it.

Growth is judged on a time series, not two snapshots: `trends` fits a least-squares line to each
process's samples over the whole run and over each half. A server filling a bounded memory (a
JVM heap, shared buffers, a span store) grows fast in the first half and levels off in the
second; a leak keeps its slope. A process whose second-half slope exceeds
`GROWING_MIB_PER_HOUR` and whose fitted growth over that half is at least `NOISE_MIB` (a few
minutes of a Python process's PSS wander by more than a short run's slope implies) is listed by
`still_growing` — evidence to look at, not a verdict.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

from loadtests import cpu

GIB = 1024**3
MIB = 2**20
GROWING_MIB_PER_HOUR = 10.0
NOISE_MIB = 5.0
MIN_POINTS = 3  # per fitted line; fewer and the slope is None
Sample = tuple[float, Mapping[str, int]]  # (seconds since the run started, PSS bytes per name)


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


def _slope_mib_per_hour(points: Sequence[tuple[float, int]]) -> float | None:
    if len(points) < MIN_POINTS or len({t for t, _ in points}) < 2:  # noqa: PLR2004
        return None
    slope, _ = statistics.linear_regression([t for t, _ in points], [v for _, v in points])
    return round(slope * 3600 / MIB, 1)


def trends(samples: Sequence[Sample]) -> dict[str, dict[str, float | None]]:
    """Per process: first and last PSS (MiB), the fitted slope (MiB/h) overall and per half, and
    the second half's fitted growth (MiB: its slope times its length).

    A process missing from a sample (not started yet, or gone) is left out of that sample's
    points; a line with fewer than three points has no slope (None). Pure.
    """
    if not samples:
        return {}
    mid = (samples[0][0] + samples[-1][0]) / 2
    half_h = (samples[-1][0] - mid) / 3600
    names = sorted({name for _, found in samples for name in found})
    result: dict[str, dict[str, float | None]] = {}
    for name in names:
        points = [(t, found[name]) for t, found in samples if name in found]
        second = _slope_mib_per_hour([p for p in points if p[0] >= mid])
        result[name] = {
            "first_mib": round(points[0][1] / MIB, 1),
            "last_mib": round(points[-1][1] / MIB, 1),
            "mib_per_hour": _slope_mib_per_hour(points),
            "first_half_mib_per_hour": _slope_mib_per_hour([p for p in points if p[0] <= mid]),
            "second_half_mib_per_hour": second,
            "second_half_growth_mib": None if second is None else round(second * half_h, 1),
        }
    return result


def still_growing(
    found: Mapping[str, Mapping[str, float | None]], limit: float = GROWING_MIB_PER_HOUR
) -> list[str]:
    """The processes whose second-half slope is above `limit` MiB/h, beyond the noise (pure)."""
    return [
        name
        for name, trend in found.items()
        if (slope := trend.get("second_half_mib_per_hour")) is not None
        and slope > limit
        and (trend.get("second_half_growth_mib") or 0.0) >= NOISE_MIB
    ]


def slope_text(value: float | None) -> str:
    """A slope as shown in tables: signed MiB/h, or a dash when there is none (pure)."""
    return "—" if value is None else f"{value:+,.1f}"
