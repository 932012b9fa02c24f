"""Forward-only SQL migrations: numbered files, each applied once, under an advisory lock.

Every service applies the shared messaging tables (outbox, inbox) and then its own files. Replicas
starting together serialise on the lock, so a migration never runs twice.
"""

from __future__ import annotations

import logging
from pathlib import Path

from workloads.shared.database import Pool

SHARED = Path(__file__).resolve().parent / "messaging" / "migrations"
_LOCK_ID = 0x434F4E56  # "CONV"

log = logging.getLogger(__name__)


async def migrate(pool: Pool, service_dir: Path) -> list[str]:
    """Apply pending migrations from the shared folder, then the service's; returns their names."""
    files = [("shared", p) for p in sorted(SHARED.glob("*.sql"))]
    files += [("service", p) for p in sorted(service_dir.glob("*.sql"))]
    applied: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_ID)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
            for scope, path in files:
                name = f"{scope}/{path.name}"
                if name in done:
                    continue
                async with conn.transaction():
                    await conn.execute(path.read_text())
                    await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
                applied.append(name)
                log.info("applied migration %s", name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_ID)
    return applied
