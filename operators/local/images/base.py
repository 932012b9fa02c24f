"""The base every image starts from: Debian minbase plus python3, made here with debootstrap.

No registry image can be pulled on these machines, but Debian's own mirror is reachable, so the
base root filesystem is built with `debootstrap --variant=minbase --include=python3` from the
mirror the host's apt already uses, once per Debian release, and cached as a tarball under the
cache folder (`images/base/<release>/rootfs.tar`, a stamp written last marks it complete). apt's
caches, lists, documentation and man pages are removed before it is packed. It is then imported
into the project's buildah storage as `localhost/conveyor-base:<release>`, the `BASE` build
argument of every Containerfile (a registry build passes a Debian image from a registry instead).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from rich.console import Console

from operators.local.images.buildah import Buildah, ImageBuildError

DEFAULT_MIRROR = "http://deb.debian.org/debian"
# Removed from the root filesystem: nothing in an image reads them, and apt's lists go stale.
_PRUNED = (
    "var/cache/apt",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "var/log",
)


def host_release(os_release: str) -> str:
    """The Debian codename of the host (`bookworm`), from the text of /etc/os-release."""
    found = re.search(r"^VERSION_CODENAME=\"?([a-z]+)\"?$", os_release, re.MULTILINE)
    if found is None:
        raise ImageBuildError("/etc/os-release names no VERSION_CODENAME: is this Debian?")
    return found.group(1)


def host_mirror(sources: str) -> str:
    """The first Debian archive the host's apt uses (deb822 `URIs:` or one-line `deb` entries)."""
    for line in sources.splitlines():
        found = re.match(r"^URIs:\s*(\S+)", line) or re.match(
            r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)", line
        )
        if found and not found.group(1).rstrip("/").endswith("-security"):
            return found.group(1)
    return DEFAULT_MIRROR


def _apt_sources() -> str:
    parts = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    return "\n".join(p.read_text() for p in parts if p.is_file())


class BaseImage:
    """Debian minbase + python3 for one release, cached as a tarball and imported into buildah."""

    def __init__(self, *, cache_dir: Path, buildah: Buildah, release: str | None = None) -> None:
        self.release = release or host_release(Path("/etc/os-release").read_text())
        self.dir = cache_dir / "images" / "base" / self.release
        self.tarball = self.dir / "rootfs.tar"
        self._stamp = self.dir / ".complete"
        self.buildah = buildah
        self.ref = f"localhost/conveyor-base:{self.release}"

    def ensure(self, console: Console) -> str:
        """Make (once) and import (once per storage) the base; returns its image reference."""
        if not self._stamp.exists():
            self._debootstrap(console)
        if not self.buildah.exists(self.ref):
            log = self.dir / "import.log"
            container = self.buildah.run(["from", "scratch"], log=log).strip()
            try:
                self.buildah.run(["add", container, str(self.tarball), "/"], log=log)
                self.buildah.run(
                    ["config", "--env", "LANG=C.UTF-8", "--cmd", "/usr/bin/python3", container],
                    log=log,
                )
                self.buildah.run(["commit", "--rm", container, self.ref], log=log)
            except ImageBuildError:
                self.buildah.run(["rm", container], log=log)
                raise
        return self.ref

    def _debootstrap(self, console: Console) -> None:
        if shutil.which("debootstrap") is None:
            raise ImageBuildError("debootstrap is missing: apt-get install debootstrap")
        mirror = host_mirror(_apt_sources())
        self.dir.mkdir(parents=True, exist_ok=True)
        console.print(
            f"[bold]making the Debian {self.release} base[/] (minbase + python3) from {mirror} "
            "— once per release, about a minute and a half"
        )
        with tempfile.TemporaryDirectory(dir=self.dir) as scratch:
            rootfs = Path(scratch) / "rootfs"
            log = self.dir / "debootstrap.log"
            with log.open("w") as handle:
                result = subprocess.run(
                    [
                        "debootstrap",
                        "--variant=minbase",
                        "--include=python3",
                        self.release,
                        str(rootfs),
                        mirror,
                    ],
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            if result.returncode != 0:
                tail = "\n".join(log.read_text().splitlines()[-20:])
                raise ImageBuildError(f"debootstrap failed (log: {log}):\n{tail}")
            for pruned in _PRUNED:
                target = rootfs / pruned
                shutil.rmtree(target, ignore_errors=True)
                target.mkdir(parents=True, exist_ok=True)
            (rootfs / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(self.tarball), "."],
                check=True,
            )
        self._stamp.write_text(f"{self.release} {mirror}\n")
        console.print(f"  [green]✓[/] base root filesystem cached at {self.tarball}")
