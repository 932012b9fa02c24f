"""Where and from what a benchmark ran: commit, machine, date and the command line.

The commit is `git rev-parse HEAD` plus a dirty flag (any change `git status --porcelain` shows),
so a figure from uncommitted code says so. The machine is the logical core count, the CPU model
(`model name` in /proc/cpuinfo) and total memory (`MemTotal` in /proc/meminfo). A field that
cannot be read (no git, no /proc) is recorded as None rather than failing the benchmark.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from operators.paths import REPO_ROOT


def cpu_model(cpuinfo: str) -> str | None:
    """The first `model name` of a /proc/cpuinfo text (pure)."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            return value.strip()
    return None


def memory_gib(meminfo: str) -> float | None:
    """`MemTotal` of a /proc/meminfo text in GiB (pure)."""
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024**2, 1)
    return None


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return result.stdout.strip()


def provenance() -> dict[str, Any]:
    """Commit, machine, UTC date and the exact command line of this process."""
    porcelain = _git("status", "--porcelain")
    return {
        "commit": _git("rev-parse", "HEAD"),
        "dirty": None if porcelain is None else bool(porcelain),
        "machine": {
            "cores": os.cpu_count(),
            "cpu_model": cpu_model(_read("/proc/cpuinfo")),
            "memory_gib": memory_gib(_read("/proc/meminfo")),
        },
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join(sys.orig_argv),
    }
