"""`python -m workloads.payment`: run the payment service; `app()` is its composition root.

HTTP routes (`api`) and Kafka consumers (`consumers`) call the service layer (`handlers`); the
settlement job (`jobs`) calls the card provider; the shared runtime owns the pool, the producer
and the outbox relay.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from workloads.payment import api, consumers, jobs
from workloads.payment.settings import PaymentSettings
from workloads.shared.runtime import create_app, serve


def app(settings: PaymentSettings | None = None) -> FastAPI:
    settings = settings or PaymentSettings()  # type: ignore[call-arg]
    return create_app(
        settings=settings,
        migrations=Path(__file__).parent / "migrations",
        routers=[api.router],
        consumers=consumers.build,
        jobs=jobs.build,
    )


if __name__ == "__main__":
    settings = PaymentSettings()  # type: ignore[call-arg]
    serve(app(settings), settings)
