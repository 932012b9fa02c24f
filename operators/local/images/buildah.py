"""buildah with the project's own storage, so image builds leave nothing in the host's storage.

Images and layers live under the cache folder (`~/.cache/conveyor/images/storage`), not in
`/var/lib/containers`; runs use chroot isolation and the ulimits this machine allows (root lacks
CAP_SYS_RESOURCE, so buildah's default open-files limit cannot be set). A failed command raises
`ImageBuildError` with the tail of its output.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

ULIMITS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096")
_TAIL_LINES = 30


class ImageBuildError(RuntimeError):
    """An image could not be built; the message says what failed."""


class Buildah:
    """buildah over a storage root of the project's."""

    def __init__(self, *, storage: Path) -> None:
        self.storage = storage

    def global_args(self) -> list[str]:
        return [
            "buildah",
            "--root",
            str(self.storage / "root"),
            "--runroot",
            str(self.storage / "run"),
            "--storage-driver",
            "overlay",
        ]

    def run(self, args: Sequence[str], *, log: Path, cwd: Path | None = None) -> str:
        """Run one buildah command; its output goes to `log` too, and stdout is returned."""
        self.storage.mkdir(parents=True, exist_ok=True)
        argv = [*self.global_args(), *args]
        result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as handle:
            handle.write(f"$ {' '.join(argv)}\n{result.stdout}{result.stderr}")
        if result.returncode != 0:
            lines = (result.stdout + result.stderr).splitlines()[-_TAIL_LINES:]
            tail = "\n".join(f"    {line}" for line in lines)
            raise ImageBuildError(f"`buildah {args[0]}` failed (full log: {log}):\n{tail}")
        return result.stdout

    def exists(self, image: str) -> bool:
        argv = [*self.global_args(), "inspect", "--type", "image", image]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        return result.returncode == 0

    def run_in(
        self, image: str, argv: Sequence[str], *, user: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in a throw-away container of `image`, as its own user unless given."""
        made = subprocess.run(
            [*self.global_args(), "from", "--pull-never", image],
            capture_output=True,
            text=True,
            check=True,
        )
        container = made.stdout.strip()
        try:
            return subprocess.run(
                [
                    *self.global_args(),
                    "run",
                    "--isolation",
                    "chroot",
                    *(["--user", user] if user else []),
                    container,
                    "--",
                    *argv,
                ],
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
        finally:
            subprocess.run([*self.global_args(), "rm", container], capture_output=True, check=False)

    def image_id(self, image: str) -> str:
        argv = [*self.global_args(), "inspect", "--type", "image", "--format", "{{.FromImageID}}"]
        result = subprocess.run([*argv, image], capture_output=True, text=True, check=True)
        return result.stdout.strip()

    def user_of(self, image: str) -> str:
        """The user an image's containers run as (its config's `User`, "" for root)."""
        argv = [
            *self.global_args(),
            "inspect",
            "--type",
            "image",
            "--format",
            "{{.OCIv1.Config.User}}",
        ]
        result = subprocess.run([*argv, image], capture_output=True, text=True, check=True)
        return result.stdout.strip()
