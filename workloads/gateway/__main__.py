"""`python -m workloads.gateway`: run the gateway; `app()` is its composition root."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from workloads.gateway import app as gateway_app
from workloads.gateway import composed
from workloads.gateway.access import InvalidTokenError, Principal
from workloads.gateway.registry import Registry
from workloads.gateway.settings import GatewaySettings
from workloads.shared.runtime import serve


class _NoIdentityYet:
    async def verify(self, token: str) -> Principal:
        raise InvalidTokenError("no identity service to verify against")


def app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    stub = _NoIdentityYet()

    def verifier(_client: httpx.AsyncClient, _registry: Registry) -> _NoIdentityYet:
        return stub

    return gateway_app.create_app(settings, verifier=verifier, routers=composed.routers())


if __name__ == "__main__":
    settings = GatewaySettings()
    serve(app(settings), settings)
