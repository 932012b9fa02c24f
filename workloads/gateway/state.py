"""The gateway's moving parts, built once per process in the lifespan (`app.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import aiohttp
from fastapi import Depends, Request

from workloads.gateway.access import Verifier
from workloads.gateway.limits import ClientLimit
from workloads.gateway.registry import Registry
from workloads.gateway.upstreams import Upstream
from workloads.shared.problems import ProblemError


@dataclass
class Gateway:
    registry: Registry
    upstreams: dict[str, Upstream]
    verifier: Verifier
    limiter: ClientLimit
    client: aiohttp.ClientSession
    admin_token: str

    def upstream(self, workload: str) -> Upstream:
        found = self.upstreams.get(workload)
        if found is None:
            raise ProblemError(
                503, "Upstream unavailable", f"{workload} is not part of this deployment.",
                headers={"Retry-After": "30"},
            )  # fmt: skip
        return found


async def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(gateway_of)]
