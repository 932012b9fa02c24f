"""The catch-all route: every `/v1/...` path the route table admits, passed to its service.

Per request: match the route table (404 when no rule admits method and path), authenticate a
bearer token if one is sent, rate-limit the client, authorize the rule, check ownership, then
call the upstream through its defences (`upstreams.py`) and relay its answer (`forwarding.py`).
A customer reading one order has its ownership checked on the answer itself, not by a second
call. Registered last, so the gateway's own routes (health, OpenAPI, v2, summary) win.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from workloads.gateway import access, forwarding, ownership, routing
from workloads.gateway.state import Gateway, GatewayDep
from workloads.shared.problems import ProblemError

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def client_key(request: Request, principal: access.Principal | None) -> str:
    if principal is not None:
        return f"sub:{principal.subject}"
    return f"ip:{forwarding.client_of(request)}"


async def admit(request: Request, gateway: Gateway, rule: routing.Rule) -> access.Principal | None:
    """The door every request passes: token (if any), rate limit, then the rule's access."""
    principal = await access.authenticate(request.headers.get("authorization"), gateway.verifier)
    await gateway.limiter.enforce(client_key(request, principal))
    access.authorize(rule, principal)
    return principal


def router() -> APIRouter:
    proxy = APIRouter()

    @proxy.api_route("/{path:path}", methods=METHODS, include_in_schema=False)
    async def forward(request: Request, gateway: GatewayDep) -> Response:
        path = "/" + request.scope["path"].lstrip("/")
        found = routing.route(request.method, path)
        if found is None:
            raise ProblemError(404, "Not found", "No such route.")
        principal = await admit(request, gateway, found.rule)
        body = await request.body()
        subject = principal.subject if principal else None
        admin = found.rule.access is routing.Access.ADMIN
        headers = forwarding.request_headers(
            request, subject=subject, admin_token=gateway.admin_token if admin else None
        )
        own_order = found.rule.owner is routing.Owner.ORDER_IN_PATH and path.rstrip("/") == (
            f"/v1/orders/{found.params.get('order_id')}"
        )
        if not own_order:
            await ownership.check(
                found, principal, orders=gateway.upstream("order"),
                query=request.query_params, body=body, headers=headers,
            )  # fmt: skip
        answer = await gateway.upstream(found.workload).call(
            request.method, path, query=request.url.query, headers=headers, body=body
        )
        if (
            own_order
            and principal is not None
            and not principal.admin
            and answer.status_code == 200  # noqa: PLR2004
            and answer.json().get("customer_id") != principal.subject
        ):
            raise ProblemError(404, "Not found", "No such order.")
        return forwarding.relay(answer, found.workload)

    return proxy
