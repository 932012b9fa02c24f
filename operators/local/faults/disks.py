"""A full disk under PostgreSQL: its WAL moved onto a small tmpfs the suite mounts, then filled.

PostgreSQL writes every change to its write-ahead log first, so a full WAL disk is the full disk
that bites: a commit that cannot get new WAL space makes the server PANIC and stop (it will not
start again until space is freed). The suite stops the server, mounts a tmpfs (the WAL's size
plus `size_mb`) beside the data folder, copies `pg_wal` onto it and leaves a symlink in its
place (the layout `initdb --waldir` makes), and starts the server. `fill()` writes a filler
file until the tmpfs is full; `exhaust()` makes the server need new WAL space (writes and
`pg_switch_wal()` until it fails: recycled segments would otherwise absorb minutes of load);
`free()` deletes the filler. `restore()` stops the server, copies the WAL back onto the real
disk, removes the symlink, unmounts and deletes the mount point, and starts the server: every
step checks what is there first, so it also finishes an interrupted restore, and `leftovers()`
is empty after it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from pathlib import Path

import asyncpg
from rich.console import Console

from operators.local.aio import run_sync
from operators.local.installs import Requirement, binary
from operators.local.servers.base import ServerError
from operators.local.servers.postgres import Postgres

CHUNK = 1 << 20


class DiskFaultError(RuntimeError):
    """The small disk could not be mounted or removed; the message holds the command's output."""


def requirements() -> list[Requirement]:
    return [binary("mount", "mount/umount (util-linux)", "mount")]


def _run(*argv: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DiskFaultError(f"`{' '.join(argv)}` failed: {result.stderr.strip()}")


def _megabytes(folder: Path) -> int:
    used = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())
    return -(-used // (1 << 20))


def is_mount_point(path: Path) -> bool:
    return any(
        line.split()[1] == str(path) for line in Path("/proc/mounts").read_text().splitlines()
    )


class FullWalDisk:
    def __init__(self, postgres: Postgres, *, size_mb: int = 96) -> None:
        self.postgres = postgres
        self.size_mb = size_mb
        self.mount_point = postgres.dir / "wal-tmpfs"
        self.wal = postgres.data_dir / "pg_wal"
        self.filler = self.mount_point / "conveyor-filler"

    def _owner(self) -> tuple[int, int]:
        info = self.postgres.data_dir.stat()
        return info.st_uid, info.st_gid

    def mount(self, console: Console) -> None:
        """Move the WAL onto the small tmpfs (the server is restarted around it)."""
        if self.wal.is_symlink():
            return
        self.postgres.stop()
        uid, gid = self._owner()
        self.mount_point.mkdir(mode=0o700, exist_ok=True)
        if not is_mount_point(self.mount_point):
            size_mb = _megabytes(self.wal) + self.size_mb  # what is there, plus the headroom
            options = f"size={size_mb}m,mode=0700,uid={uid},gid={gid}"
            _run("mount", "-t", "tmpfs", "-o", options, "conveyor-wal", str(self.mount_point))
        _run("cp", "-a", f"{self.wal}/.", str(self.mount_point))
        shutil.rmtree(self.wal)
        self.wal.symlink_to(self.mount_point)
        os.lchown(self.wal, uid, gid)
        self.postgres.start(console)

    def fill(self) -> int:
        """Write until the disk is full (big blocks, then pages); returns the bytes written."""
        written = 0
        with self.filler.open("ab", buffering=0) as handle:
            for size in (CHUNK, 4096):
                block = b"\0" * size
                try:
                    while True:
                        written += handle.write(block) or 0
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
        return written

    def exhaust(self, *, switches: int = 20) -> str:
        """Write and switch WAL segments until PostgreSQL fails for want of space; its error."""
        return run_sync(self._exhaust(switches))

    async def _exhaust(self, switches: int) -> str:
        try:
            conn = await asyncpg.connect(self.postgres.admin_dsn(), timeout=5)
        except (OSError, asyncpg.PostgresError) as exc:
            return f"no connection: {exc}"
        try:
            await conn.execute("CREATE TABLE IF NOT EXISTS conveyor_chaos_wal (n bigint)")
            for n in range(switches):
                await conn.execute("INSERT INTO conveyor_chaos_wal VALUES ($1)", n)
                await conn.fetchval("SELECT pg_switch_wal()")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            return f"{type(exc).__name__}: {exc}"
        finally:
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await conn.close(timeout=2)
        raise DiskFaultError(f"PostgreSQL still writes WAL after {switches} segment switches")

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def restore(self, console: Console) -> None:
        """Back to the real disk, the server running again; safe to repeat."""
        self.free()
        if self.wal.is_symlink():
            self.postgres.stop()
            uid, gid = self._owner()
            staged = self.postgres.data_dir / "pg_wal.restoring"
            shutil.rmtree(staged, ignore_errors=True)
            _run("cp", "-a", f"{self.mount_point}/.", str(staged))
            os.chown(staged, uid, gid)
            self.wal.unlink()
            staged.rename(self.wal)
        if is_mount_point(self.mount_point):
            self.postgres.stop()
            _run("umount", str(self.mount_point))
        if self.mount_point.exists():
            self.mount_point.rmdir()
        try:
            self.postgres.start(console)
        except ServerError as exc:
            raise DiskFaultError(f"PostgreSQL did not come back on its own disk: {exc}") from exc

    def leftovers(self) -> list[str]:
        left = [str(self.wal)] if self.wal.is_symlink() else []
        if is_mount_point(self.mount_point):
            left.append(f"mount {self.mount_point}")
        return left + ([str(self.mount_point)] if self.mount_point.exists() else [])
