"""`conveyor projections rebuild orders`: fold the read model again from the event history.

The order service's read side (`customer_orders`, ADR 0035) is a projection of its event store;
rebuilding throws the rows away and folds every order's history again in one transaction (readers
keep the old rows until it commits), then moves the projection's checkpoint, so the live projector
carries on from there. Safe while the services run. Against the local stack by default, or any
order database by `--database-url` (or `CONVEYOR_ORDER_DATABASE_URL`). A database that cannot be
reached exits 1 naming `conveyor local up`.
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Annotated

import asyncpg
import typer
from pydantic import SecretStr
from rich.console import Console

from operators.local.aio import run_sync
from operators.local.stack import LocalStack
from workloads.order import projection
from workloads.shared.database import DatabaseSettings, create_pool

app = typer.Typer(help="The read models: rebuild one from the event history.")
console = Console()


class Projection(StrEnum):
    orders = "orders"  # the customers' order lists, from the order service's event store


async def rebuild_orders(database_url: str) -> int:
    pool = await create_pool(DatabaseSettings(url=SecretStr(database_url), min_size=1))
    try:
        return await projection.rebuild(pool)
    finally:
        await pool.close()


@app.command("rebuild")
def rebuild(
    name: Annotated[Projection, typer.Argument(help="Which projection.")],
    database_url: Annotated[
        str | None,
        typer.Option(envvar="CONVEYOR_ORDER_DATABASE_URL", show_default=False,
                     help="The order database (default: the local stack's)."),
    ] = None,
) -> None:  # fmt: skip
    """Rebuild a projection from the event history; the live projector continues after it."""
    url = database_url or LocalStack().postgres.dsn("order")
    began = time.monotonic()
    try:
        written = run_sync(rebuild_orders(url))
    except (OSError, asyncpg.PostgresError) as exc:
        console.print(f"[red]error:[/] {exc!r}; is the stack up (`conveyor local up`)?")
        raise typer.Exit(1) from exc
    console.print(f"{name.value}: {written} orders rebuilt in {time.monotonic() - began:.1f} s")
