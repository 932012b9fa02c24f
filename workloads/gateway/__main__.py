"""`python -m workloads.gateway`: run the gateway; `app()` is its composition root."""

from __future__ import annotations

from fastapi import FastAPI

from workloads.gateway import app as gateway_app
from workloads.gateway import composed
from workloads.gateway.settings import GatewaySettings
from workloads.gateway.tokens import JwksVerifier
from workloads.gateway.upstreams import Upstream
from workloads.shared.runtime import serve


def app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    cache_s = settings.jwks_refresh_s

    def verifier(upstreams: dict[str, Upstream]) -> JwksVerifier:
        return JwksVerifier(upstreams["identity"], cache_s=cache_s)

    return gateway_app.create_app(settings, verifier=verifier, routers=composed.routers())


if __name__ == "__main__":
    settings = GatewaySettings()
    serve(app(settings), settings)
