"""A small client for the running catalog: browse, write, read its metrics, and seed a category.

Categories have no HTTP route (the seed command creates them), so `category_with` goes through the
catalog's service layer on its own database, as `conveyor catalog seed` does: the products are
written with their `ProductUpdated` events, exactly as an admin write would be.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from operators.local.stack import LocalStack
from workloads.catalog import handlers
from workloads.catalog.schemas import ProductIn
from workloads.shared.database import DatabaseSettings, create_pool

CACHE = "catalog:v1"


@dataclass
class CatalogClient:
    stack: LocalStack
    http: httpx.AsyncClient

    def url(self, path: str, replica: int = 0) -> str:
        return f"{self.stack.workloads.url('catalog', replica)}{path}"

    async def get(self, path: str, **params: Any) -> Any:
        response = await self.http.get(self.url(path), params=params)
        assert response.status_code == 200, response.text
        return response.json()

    async def product(self, product_id: str) -> dict[str, Any]:
        found: dict[str, Any] = await self.get(f"/v1/products/{product_id}")
        return found

    async def put(self, product_id: str, **details: Any) -> dict[str, Any]:
        response = await self.http.put(
            self.url(f"/v1/products/{product_id}"),
            json=details,
            headers={"Authorization": f"Bearer {self.stack.admin_token()}"},
        )
        assert response.status_code == 200, response.text
        written: dict[str, Any] = response.json()
        return written

    async def metric(self, name: str, **labels: str) -> float:
        """The sum of a metric's samples whose labels include `labels` (0 when absent)."""
        text = (await self.http.get(self.url("/metrics"))).text
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name and labels.items() <= sample.labels.items()
        )

    async def loads(self) -> float:
        return await self.metric("conveyor_cache_loads_total", cache=CACHE)

    async def lookups(self, result: str) -> float:
        return await self.metric("conveyor_cache_lookups_total", cache=CACHE, result=result)

    async def breaker(self) -> float:
        return await self.metric("conveyor_circuit_breaker_state", target="redis")

    async def category_with(self, names: Sequence[str]) -> tuple[str, list[str]]:
        """A new category holding one new product per name: (its slug, the product ids)."""
        slug = f"t-{uuid.uuid4().hex[:10]}"
        ids = [f"{slug}-{i:04d}" for i in range(len(names))]
        await self.add(slug, dict(zip(ids, names, strict=True)), new_category=True)
        return slug, ids

    async def add(self, slug: str, products: dict[str, str], *, new_category: bool = False) -> None:
        pool = await create_pool(
            DatabaseSettings(url=SecretStr(self.stack.postgres.dsn("catalog")), min_size=1)
        )
        try:
            await handlers.seed(
                pool,
                [(slug, f"Test {slug}")] if new_category else [],
                [(pid, ProductIn(name=name, category=slug)) for pid, name in products.items()],
                correlation_id=f"test-{slug}",
            )
        finally:
            await pool.close()
