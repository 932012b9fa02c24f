"""`python -m workloads.inventory`: run the inventory service; `app()` is its composition root.

HTTP routes (`api`), Kafka consumers (`consumers`) and the reservation expiry (`jobs`) all call the
service layer (`handlers`); the shared runtime owns the pool, the producer and the outbox relay.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from workloads.inventory import api, consumers, jobs
from workloads.inventory.settings import InventorySettings
from workloads.shared.runtime import create_app, serve


def app(settings: InventorySettings | None = None) -> FastAPI:
    settings = settings or InventorySettings()  # type: ignore[call-arg]
    return create_app(
        settings=settings,
        migrations=Path(__file__).parent / "migrations",
        routers=api.routers(settings.admin_token.get_secret_value()),
        consumers=consumers.build,
        jobs=jobs.build,
    )


if __name__ == "__main__":
    settings = InventorySettings()  # type: ignore[call-arg]
    serve(app(settings), settings)
