"""One OpenAPI document for the whole public API: the services' documents and the gateway's own.

`GET /openapi.json` asks each routed service for its document (through its upstream, so with its
defences), keeps exactly the operations the route table admits (what a client can call through
the gateway: no health, metrics or unlisted routes), adds the gateway's own routes (`/v2`, the
summary) and a bearer security scheme, and merges the component schemas (same name, same
meaning: the services share `ProblemDetails`). A service that cannot answer leaves its paths out
of that answer (listed under `x-unavailable`); the merged document is cached for `ttl_s`.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from workloads.gateway import routing
from workloads.gateway.state import Gateway, GatewayDep
from workloads.shared.problems import ProblemError

TTL_S = 30.0
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def admitted(path: str, method: str) -> bool:
    """Would the route table pass `method path` (with any value in each parameter)?"""
    probe = path.replace("{", "").replace("}", "")  # `{order_id}` -> `order_id`: one segment
    found = routing.route(method.upper(), probe)
    return found is not None


def merge(own: dict[str, Any], upstream: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The gateway's document, plus every admitted operation of each service's. Pure."""
    document = {**own, "paths": dict(own.get("paths", {}))}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for doc in upstream.values():
        for path, operations in sorted(doc.get("paths", {}).items()):
            kept = {
                m: op for m, op in operations.items() if m in HTTP_METHODS and admitted(path, m)
            }
            if kept:
                document["paths"].setdefault(path, {}).update(kept)
        for name, schema in doc.get("components", {}).get("schemas", {}).items():
            schemas.setdefault(name, schema)
    document["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    document["security"] = [{}, {"bearer": []}]  # optional globally; routes enforce
    return document


class MergedDocument:
    def __init__(self, app: FastAPI) -> None:
        self._app = app
        self._cached: tuple[float, dict[str, Any]] | None = None

    async def get(self, gateway: Gateway) -> dict[str, Any]:
        if self._cached and time.monotonic() - self._cached[0] < TTL_S:
            return self._cached[1]
        found: dict[str, dict[str, Any]] = {}
        missing: list[str] = []
        for name in sorted(gateway.upstreams):
            try:
                answer = await gateway.upstreams[name].call("GET", "/openapi.json")
            except ProblemError:
                missing.append(name)
                continue
            if answer.status_code == 200:  # noqa: PLR2004
                found[name] = answer.json()
            else:
                missing.append(name)
        document = merge(self._app.openapi(), found)
        document["info"] = {"title": "Conveyor public API", "version": "1"}
        if missing:
            document["x-unavailable"] = missing
        else:
            self._cached = (time.monotonic(), document)
        return document


def router(app: FastAPI) -> APIRouter:
    merged = MergedDocument(app)
    api = APIRouter()

    @api.get("/openapi.json", include_in_schema=False)
    async def openapi(_: Request, gateway: GatewayDep) -> JSONResponse:
        return JSONResponse(await merged.get(gateway))

    return api
