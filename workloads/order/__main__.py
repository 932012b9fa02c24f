"""`python -m workloads.order`: run the order service."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from workloads.order import api, consumers, timeouts
from workloads.order.settings import OrderSettings
from workloads.shared.runtime import create_app, serve


def app(settings: OrderSettings | None = None) -> FastAPI:
    settings = settings or OrderSettings()  # type: ignore[call-arg]
    return create_app(
        settings=settings,
        migrations=Path(__file__).parent / "migrations",
        routers=[api.router],
        consumers=consumers.build,
        jobs=lambda rt: [("saga-timeouts", timeouts.run(rt))],
    )


if __name__ == "__main__":
    settings = OrderSettings()  # type: ignore[call-arg]
    serve(app(settings), settings)
