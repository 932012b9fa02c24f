"""HTTP edge of the catalog: browse (search, filter, sort, keyset pages), product details, writes.

Routes only parse the request, call the service layer (`handlers.py`) and return its answer; every
error is a problem document, declared per route for OpenAPI. Writes take the admin bearer token
for now; once the gateway authenticates (issue #13) it will admit only the admin role here, and
the route shape stays.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from workloads.catalog import browse, handlers
from workloads.catalog.schemas import (
    SLUG,
    CategoryList,
    FeaturedProducts,
    ProductIn,
    ProductPage,
    ProductView,
)
from workloads.shared.auth import require_token
from workloads.shared.cache_aside import CacheAside
from workloads.shared.inputs import ProductIdInPath, Text
from workloads.shared.problems import problem_responses
from workloads.shared.runtime import RuntimeDep
from workloads.shared.telemetry import correlation_id

CURSOR = r"^[A-Za-z0-9_-]{1,512}$"


def routers(admin_token: str, cache: CacheAside) -> list[APIRouter]:
    router = APIRouter(prefix="/v1", tags=["catalog"], responses=problem_responses(422, 500))

    @router.get("/products", responses=problem_responses(400))
    async def search(
        runtime: RuntimeDep,
        *,
        q: Annotated[Text | None, Query(max_length=200, description="Full-text query.")] = None,
        category: Annotated[str | None, Query(pattern=SLUG)] = None,
        sort: Annotated[
            browse.Sort | None, Query(description="Default: relevance with q, else name.")
        ] = None,
        cursor: Annotated[str | None, Query(pattern=CURSOR)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> ProductPage:
        text = (q or "").strip() or None
        listing = browse.Listing(text, category, sort or browse.default_sort(text), limit)
        return await handlers.list_products(runtime.pool, listing, cursor, cache=cache)

    @router.get("/products/{product_id}", responses=problem_responses(404))
    async def product(product_id: ProductIdInPath, runtime: RuntimeDep) -> ProductView:
        return await handlers.get_product(runtime.pool, product_id, cache=cache)

    @router.get("/featured")
    async def featured(runtime: RuntimeDep) -> FeaturedProducts:
        return await handlers.featured(runtime.pool, cache=cache)

    @router.get("/categories")
    async def categories(runtime: RuntimeDep) -> CategoryList:
        return await handlers.categories(runtime.pool, cache=cache)

    @router.put(
        "/products/{product_id}",
        tags=["admin"],
        dependencies=[require_token(admin_token)],
        responses=problem_responses(400, 401, 413),
    )
    async def put_product(
        product_id: ProductIdInPath, body: ProductIn, runtime: RuntimeDep
    ) -> ProductView:
        return await handlers.put_product(
            runtime.pool, product_id, body, correlation_id=correlation_id.get()
        )

    return [router]
