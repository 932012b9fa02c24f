"""A customer sees only their own orders: the checks behind `Owner` rules (routing.py).

An order named in the path or query is looked up at the order service (`GET /v1/orders/{id}`)
and must carry the caller's subject as `customer_id`; one that belongs to someone else is
answered exactly like one that does not exist (404), so ids cannot be probed. A customer id in the
path or in a JSON body must be the caller's own (403). Admins pass every check. The lookup goes
through the order upstream's own defences (bulkhead, breaker, timeout), so it cannot pile up.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from workloads.gateway.access import Principal
from workloads.gateway.forwarding import upstream_failed
from workloads.gateway.routing import Owner, Route
from workloads.gateway.upstreams import Upstream
from workloads.shared.problems import ProblemError


def _not_found() -> ProblemError:
    return ProblemError(404, "Not found", "No such order.")


async def order_owner(orders: Upstream, order_id: str, headers: Mapping[str, str]) -> str | None:
    """The order's customer, or None if there is no such order."""
    answer = await orders.call("GET", f"/v1/orders/{order_id}", headers=headers)
    if answer.status_code in (404, 422):  # 422: not an order id at all
        return None
    if answer.status_code != 200:  # noqa: PLR2004
        raise upstream_failed(orders.name, answer.status_code)
    owner = answer.json().get("customer_id")
    return str(owner) if owner is not None else None


async def check(
    route: Route,
    principal: Principal | None,
    *,
    orders: Upstream,
    query: Mapping[str, str],
    body: bytes,
    headers: Mapping[str, str],
) -> None:
    owner = route.rule.owner
    if owner is Owner.NONE or principal is None or principal.admin:
        return
    if owner is Owner.CUSTOMER_IN_PATH:
        if route.params.get("customer_id") != principal.subject:
            raise ProblemError(403, "Forbidden", "You may read only your own orders.")
    elif owner is Owner.CUSTOMER_IN_BODY:
        try:
            given = json.loads(body).get("customer_id")
        except (ValueError, AttributeError):
            return  # not a JSON object: the service answers 400/422 itself
        if given is not None and given != principal.subject:
            raise ProblemError(403, "Forbidden", "You may place orders only for yourself.")
    else:
        order_id = (
            route.params.get("order_id") if owner is Owner.ORDER_IN_PATH else query.get("order_id")
        )
        if not order_id:
            raise ProblemError(400, "Order required", "Name the order: `?order_id=`.")
        if await order_owner(orders, order_id, headers) != principal.subject:
            raise _not_found()
