"""PostgreSQL access for a service: one asyncpg pool per process, transactions as the unit of work.

Every write a service makes goes through `transaction()`: the state change, its outbox event and
its inbox record commit together or not at all. Leaving the block with an exception rolls back.
What must happen only once the work is durable (a metric of an outcome: a rolled-back and replayed
transaction must not count it twice) is registered with `after_commit` and runs after the commit
of the innermost `transaction()` block, never after a rollback; `savepoint()` drops what was
registered inside it when it rolls back.
Rows many steps of one transaction write to the same table (the outbox) can be `stage`d instead:
they are written by one statement (the writer's `flush`) just before the innermost
`transaction()` block commits, in the order staged; a rolled-back `savepoint()` drops what was
staged inside it, and a flush that fails rolls the whole transaction back and raises from the
block, like any statement of it. Outside a `transaction()` block (or on another connection)
nothing is staged: the caller writes at once.
asyncpg is used directly: the services' SQL is small, hand-written and on the hot path of every
saga step, where an ORM's unit of work would add cost and nothing we use.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import asyncpg
import asyncpg.pool
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from workloads.shared.resiliency import Timeout
from workloads.shared.telemetry import trace_queries

Connection: TypeAlias = (
    "asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"
)
Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"


# What a database that is away (stopped, restarting, out of connection slots, our session ended
# by an administrator) raises, as opposed to an error of the statement itself.
UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,  # a connection left mid-operation by a lost server
)


class DatabaseSettings(BaseSettings):
    """The service's own database (`DATABASE_URL`); the URL is a secret and never logged."""

    model_config = SettingsConfigDict(env_prefix="DATABASE_", extra="ignore", frozen=True)

    url: SecretStr
    min_size: int = Field(default=2, ge=1)
    max_size: int = Field(default=10, ge=1)
    command_timeout_s: float = Field(default=10.0, gt=0)
    statement_timeout_ms: int = Field(default=5_000, gt=0)

    def with_timeout(self, timeout: Timeout | None) -> DatabaseSettings:
        """The pipeline's `postgres` timeout bounds every call: the client stops waiting and the
        server stops working (statement_timeout) at the same limit. None keeps the defaults."""
        if timeout is None:
            return self
        return self.model_copy(
            update={
                "command_timeout_s": timeout.seconds,
                "statement_timeout_ms": max(1, round(timeout.seconds * 1000)),
            }
        )


async def create_pool(settings: DatabaseSettings) -> Pool:
    """A connection pool; statements that run away are cancelled by the server itself."""
    pool: Pool = await asyncpg.create_pool(
        settings.url.get_secret_value(),
        min_size=settings.min_size,
        max_size=settings.max_size,
        command_timeout=settings.command_timeout_s,
        server_settings={"statement_timeout": str(settings.statement_timeout_ms)},
        reset=_roll_back_only,
        init=_traced,
    )
    return pool


async def _traced(conn: Connection) -> None:
    """Every new connection reports its queries as spans (telemetry.trace_queries)."""
    trace_queries(conn)


async def _roll_back_only(conn: Connection) -> None:
    """What a released connection needs here: no open transaction.

    asyncpg's default reset (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL) costs a round trip
    per transaction; the services keep no session state on pooled connections (LISTEN lives on
    the relay's own connection, advisory locks are released explicitly), so a rollback of an
    unfinished transaction is all that is left to undo.
    """
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


Flush: TypeAlias = Callable[[Connection, Sequence[Any]], Awaitable[None]]


@dataclass
class _Unit:
    """What one transaction() block owes: rows to write before its commit, callbacks after."""

    connection: Connection
    callbacks: list[Callable[[], None]] = field(default_factory=list)
    staged: dict[Flush, list[Any]] = field(default_factory=dict)  # by writer, first staged first

    def mark(self) -> tuple[int, dict[Flush, int]]:
        return len(self.callbacks), {flush: len(rows) for flush, rows in self.staged.items()}

    def undo_since(self, mark: tuple[int, dict[Flush, int]]) -> None:
        callbacks, staged = mark
        del self.callbacks[callbacks:]
        for flush, rows in self.staged.items():
            del rows[staged.get(flush, 0) :]

    async def flush(self) -> None:
        for write, rows in self.staged.items():
            if rows:
                await write(self.connection, rows)
        self.staged.clear()


# The transaction() block this task is in (None outside any).
_unit: ContextVar[_Unit | None] = ContextVar("transaction_unit", default=None)


@asynccontextmanager
async def transaction(pool: Pool, **options: Any) -> AsyncIterator[Connection]:
    """A connection inside one transaction: committed on success, rolled back on any exception;
    rows `stage`d inside are written just before the commit, and the `after_commit` callbacks
    registered inside run once it committed."""
    async with pool.acquire() as connection:
        unit = _Unit(connection)
        token = _unit.set(unit)
        try:
            async with connection.transaction(**options):
                yield connection
                await unit.flush()
        finally:
            _unit.reset(token)
    for callback in unit.callbacks:  # reached only when the block committed
        callback()


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the enclosing `transaction()` commits (never if it rolls back)."""
    unit = _unit.get()
    if unit is None:
        raise RuntimeError("after_commit() outside a transaction() block")
    unit.callbacks.append(callback)


def stage(conn: Connection, flush: Flush, row: Any) -> bool:
    """Queue `row` for `flush`, called once with every row it got, just before `conn`'s
    `transaction()` block commits; False (nothing queued) when `conn` is not in such a block."""
    unit = _unit.get()
    if unit is None or unit.connection is not conn:
        return False
    unit.staged.setdefault(flush, []).append(row)
    return True


@asynccontextmanager
async def savepoint(conn: Connection) -> AsyncIterator[Connection]:
    """A nested transaction; rolled back on an exception, with its `after_commit` callbacks and
    its staged rows."""
    unit = _unit.get()
    mark = None if unit is None else unit.mark()
    try:
        async with conn.transaction():
            yield conn
    except BaseException:
        if unit is not None and mark is not None:
            unit.undo_since(mark)
        raise
