"""PostgreSQL's WAL on a small tmpfs: filled, the server fails; freed, it recovers; restored, no
mount or symlink is left and every committed row is still there."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import pytest
from rich.console import Console

from operators.local.faults.disks import FullWalDisk
from operators.local.stack import LocalStack


@pytest.fixture
def disk(stack: LocalStack, quiet: Console) -> Iterator[FullWalDisk]:
    small = FullWalDisk(stack.postgres, size_mb=64)
    try:
        yield small
    finally:
        small.restore(quiet)


async def _count(stack: LocalStack) -> int:
    conn = await asyncpg.connect(stack.postgres.admin_dsn())
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS conveyor_disk_test (n int)")
        await conn.execute("INSERT INTO conveyor_disk_test VALUES (1)")
        count: int = await conn.fetchval("SELECT count(*) FROM conveyor_disk_test")
        return count
    finally:
        await conn.close()


async def test_a_full_wal_disk_stops_writes_and_freeing_it_brings_them_back(
    stack: LocalStack, disk: FullWalDisk, quiet: Console
) -> None:
    before = await _count(stack)
    disk.mount(quiet)
    assert disk.wal.is_symlink()
    assert await _count(stack) == before + 1  # on the tmpfs, still working
    log = stack.postgres.process.log_file
    seen = len(log.read_bytes())
    assert disk.fill() > 0
    assert disk.exhaust()  # PostgreSQL's error: it could not go on
    assert b"No space left on device" in log.read_bytes()[seen:]
    disk.free()
    stack.postgres.start(quiet)  # it stopped on the full disk
    assert await _count(stack) == before + 2
    disk.restore(quiet)
    assert disk.leftovers() == []
    assert await _count(stack) == before + 3  # what was written on the tmpfs came back with it
