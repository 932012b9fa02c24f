"""A minimal service for the drain test: the shared edge middleware, served by `runtime.serve`.

`python -m tests.support.draining_app PORT DRAIN_S` serves `GET /hello` on 127.0.0.1:PORT exactly
as every workload is served (uvicorn, httptools, uvloop, the draining server), without the
database and Kafka a real workload needs before it listens.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from fastapi import FastAPI

from workloads.shared.edge import EdgeMiddleware
from workloads.shared.runtime import serve


@dataclass
class Listening:
    http_host: str
    http_port: int
    shutdown_drain_s: float


def app() -> FastAPI:
    served = FastAPI()
    served.add_middleware(EdgeMiddleware, max_body_bytes=64 * 1024)

    @served.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    return served


if __name__ == "__main__":
    serve(app(), Listening("127.0.0.1", int(sys.argv[1]), float(sys.argv[2])))
