"""`python -m workloads.order`: run the order service; `app()` is its composition root.

HTTP routes (`api`), Kafka consumers (`consumers`) and the timeout sweeper (`jobs`) all call the
service layer (`handlers`); the shared runtime owns the pool, the producer and the outbox relay.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from workloads.order import api, consumers, jobs
from workloads.order.settings import OrderSettings
from workloads.shared.runtime import create_app, serve


def app(settings: OrderSettings | None = None) -> FastAPI:
    settings = settings or OrderSettings()  # type: ignore[call-arg]
    return create_app(
        settings=settings,
        migrations=Path(__file__).parent / "migrations",
        routers=[api.router, api.customers],
        consumers=consumers.build,
        jobs=jobs.build,
    )


if __name__ == "__main__":
    settings = OrderSettings()  # type: ignore[call-arg]
    serve(app(settings), settings)
