"""`conveyor catalog seed`: load a generated catalog into the local stack, idempotently.

Categories and products go into the catalog's database through its service layer
(`workloads.catalog.handlers.seed`): one `ProductUpdated` per product that changed, through the
outbox, so the running catalog drops what it had cached. Products inventory does not know yet are
stocked through inventory's service layer (`set_stock`: price and units, announced as
`ProductStocked`, which the catalog and the order service both read); products it knows keep
their stock and price, so seeding again changes nothing and sells nothing twice.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

import asyncpg
import typer
from pydantic import SecretStr
from rich.console import Console

from operators.local.aio import run_sync
from operators.local.stack import LocalStack
from workloads.catalog import handlers as catalog
from workloads.catalog.seeding import CATEGORIES, SeedProduct, generate
from workloads.inventory import handlers as inventory
from workloads.inventory.schemas import StockIn
from workloads.shared.database import DatabaseSettings, create_pool

app = typer.Typer(help="The catalog's data on the local stack.")
console = Console()


async def seed(stack: LocalStack, generated: list[SeedProduct]) -> tuple[int, int]:
    """(products whose details changed, products newly stocked in inventory)."""
    catalog_pool = await create_pool(DatabaseSettings(url=SecretStr(stack.postgres.dsn("catalog"))))
    stock_pool = await create_pool(DatabaseSettings(url=SecretStr(stack.postgres.dsn("inventory"))))
    try:
        changed = await catalog.seed(
            catalog_pool,
            CATEGORIES,
            [(p.product_id, p.details) for p in generated],
            correlation_id="catalog-seed",
        )
        known = {
            r["product_id"]
            for r in await stock_pool.fetch(
                "SELECT product_id FROM products WHERE product_id = ANY($1::text[])",
                [p.product_id for p in generated],
            )
        }
        fresh = [p for p in generated if p.product_id not in known]
        gate = asyncio.Semaphore(8)

        async def stock(product: SeedProduct) -> None:
            async with gate:
                level = StockIn(available=product.available, price_cents=product.price_cents)
                await inventory.set_stock(
                    stock_pool, product.product_id, level, correlation_id="catalog-seed"
                )

        await asyncio.gather(*(stock(p) for p in fresh))
        return changed, len(fresh)
    finally:
        await asyncio.gather(catalog_pool.close(), stock_pool.close())


@app.command("seed")
def seed_command(
    products: Annotated[int, typer.Option(min=1, max=200_000, help="Products to load.")] = 5000,
    seed_value: Annotated[int, typer.Option("--seed", help="Same seed, same catalog.")] = 42,
) -> None:
    """Load a realistic catalog (36 categories) into the local stack's catalog and inventory."""
    stack = LocalStack()
    began = time.monotonic()
    try:
        changed, stocked = run_sync(seed(stack, generate(products, seed_value)))
    except (OSError, asyncpg.PostgresError) as exc:
        console.print(f"[red]error:[/] {exc!r}; is the stack up (`conveyor local up`)?")
        raise typer.Exit(1) from exc
    console.print(
        f"{products} products in {len(CATEGORIES)} categories: {changed} created or changed,"
        f" {stocked} newly stocked in inventory ({time.monotonic() - began:.1f} s)"
    )
