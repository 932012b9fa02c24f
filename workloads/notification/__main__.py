"""`python -m workloads.notification`: run the notification service; `app()` is its composition
root.

HTTP routes (`api`) and Kafka consumers (`consumers`) call the service layer (`handlers`); the
shared runtime owns the pool, the producer and the outbox relay.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from workloads.notification import api, consumers
from workloads.notification.settings import NotificationSettings
from workloads.shared.runtime import create_app, serve


def app(settings: NotificationSettings | None = None) -> FastAPI:
    settings = settings or NotificationSettings()  # type: ignore[call-arg]
    return create_app(
        settings=settings,
        migrations=Path(__file__).parent / "migrations",
        routers=[api.router],
        consumers=consumers.build,
    )


if __name__ == "__main__":
    settings = NotificationSettings()  # type: ignore[call-arg]
    serve(app(settings), settings)
