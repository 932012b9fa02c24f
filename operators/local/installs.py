"""Make sure the programs a server needs are on the machine, or say exactly how to get them.

Running as root (a fresh CI machine, a container) installs the missing Debian packages itself.
Anyone else gets the precise `apt-get` command and a non-zero exit: the runner never half-starts
a stack on a machine that lacks a piece of it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rich.console import Console


class MissingDependencyError(RuntimeError):
    """A program is missing and this user cannot install it."""


@dataclass(frozen=True)
class Requirement:
    """A program the local stack needs and the Debian packages that provide it."""

    what: str
    apt_packages: tuple[str, ...]
    present: Callable[[], bool] = field(compare=False)


def binary(name: str, what: str, *apt_packages: str) -> Requirement:
    return Requirement(what, apt_packages, lambda: shutil.which(name) is not None)


def install_command(packages: Iterable[str]) -> str:
    names = " ".join(sorted(set(packages)))
    return f"sudo apt-get update && sudo apt-get install -y --no-install-recommends {names}"


def ensure_installed(requirements: Iterable[Requirement], console: Console) -> None:
    """Install what is missing when root; otherwise raise with the command that would."""
    missing = [req for req in requirements if not req.present()]
    if not missing:
        return
    packages = sorted({pkg for req in missing for pkg in req.apt_packages})
    what = ", ".join(req.what for req in missing)
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise MissingDependencyError(
            f"missing: {what}.\nInstall with:\n  {install_command(packages)}"
        )
    console.print(f"[bold]installing[/] {what} ({' '.join(packages)}) with apt-get…")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (
        # Wait for a lock held by another apt (an unattended upgrade, a parallel install).
        ["apt-get", "-o", "DPkg::Lock::Timeout=600", "update", "-qq"],
        [
            "apt-get",
            "-o",
            "DPkg::Lock::Timeout=600",
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            *packages,
        ],
    ):
        result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
            raise MissingDependencyError(f"`{' '.join(argv)}` failed:\n{tail}")
    still = [req.what for req in missing if not req.present()]
    if still:
        raise MissingDependencyError(f"installed {' '.join(packages)} but still missing: {still}")
