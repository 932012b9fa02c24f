"""`python -m tests.support.upstream_stub`: a stand-in service behind the gateway, as a process.

Answers any path with `{"replica": STUB_NAME, "path": ...}`; `?status=N` answers N instead (with
an internal-looking text that must never reach a client through the gateway), `?delay=S` sleeps
first. `GET /_calls` (asked directly, never through the gateway) counts the calls per path, and
`GET /health/live` answers like a service. Port and name from `HTTP_PORT` and `STUB_NAME`.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

LEAK = "Traceback: secret-internal-detail at db.internal:5432"


def app(name: str) -> FastAPI:
    stub = FastAPI(openapi_url=None)
    calls: Counter[str] = Counter()

    @stub.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "alive"}

    @stub.get("/_calls")
    async def counted() -> dict[str, int]:
        return dict(calls)

    @stub.api_route("/{path:path}", methods=["GET", "POST", "PUT"])
    async def anything(path: str, request: Request) -> Response:
        calls[f"{request.method} /{path}"] += 1
        await asyncio.sleep(float(request.query_params.get("delay", "0")))
        status = int(request.query_params.get("status", "200"))
        if status >= 500:
            return PlainTextResponse(LEAK, status_code=status)
        return JSONResponse({"replica": name, "path": f"/{path}"}, status_code=status)

    return stub


if __name__ == "__main__":
    uvicorn.run(
        app(os.environ["STUB_NAME"]),
        host="127.0.0.1",
        port=int(os.environ["HTTP_PORT"]),
        log_config=None,
        access_log=False,
    )
