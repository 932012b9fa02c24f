"""`python -m workloads.shipping`: run the shipping service; `app()` is its composition root.

HTTP routes (`api`) and the Kafka consumer (`consumers`) call the service layer (`handlers`); the
shared runtime owns the pool, the producer and the outbox relay.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from workloads.shared.runtime import create_app, serve
from workloads.shipping import api, consumers
from workloads.shipping.settings import ShippingSettings


def app(settings: ShippingSettings | None = None) -> FastAPI:
    settings = settings or ShippingSettings()  # type: ignore[call-arg]
    return create_app(
        settings=settings,
        migrations=Path(__file__).parent / "migrations",
        routers=[api.router],
        consumers=consumers.build,
    )


if __name__ == "__main__":
    settings = ShippingSettings()  # type: ignore[call-arg]
    serve(app(settings), settings)
