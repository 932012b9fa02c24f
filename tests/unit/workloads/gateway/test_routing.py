"""The route table: the catalogue's prefixes pick the service, the gateway's rules the access."""

from __future__ import annotations

import pytest

from workloads.gateway.balancing import LeastOutstanding, Replica, RoundRobin
from workloads.gateway.openapi import merge
from workloads.gateway.routing import Access, Owner, route, upstream_for


@pytest.mark.parametrize(
    ("path", "workload"),
    [
        ("/v1/orders", "order"),
        ("/v1/orders/o-1/events", "order"),
        ("/v1/products/p-1", "catalog"),
        ("/v1/admin/inventory/p-1", "inventory"),
        ("/v1/inventory/p-1", "inventory"),
        ("/v1/auth/login", "identity"),
        ("/.well-known/jwks.json", "identity"),
        ("/v1/shipments", "shipping"),
        ("/v1/ordersx", None),
        ("/metrics", None),
    ],
)
def test_the_longest_declared_prefix_names_the_upstream(path: str, workload: str | None) -> None:
    assert upstream_for(path) == workload


def test_writes_to_the_catalog_and_stock_are_for_admins_only() -> None:
    assert route("PUT", "/v1/products/p-1").rule.access is Access.ADMIN  # type: ignore[union-attr]
    found = route("PUT", "/v1/admin/inventory/p-1")
    assert found is not None
    assert found.rule.access is Access.ADMIN
    assert route("GET", "/v1/products").rule.access is Access.PUBLIC  # type: ignore[union-attr]


def test_order_routes_check_ownership_and_unlisted_ones_are_refused() -> None:
    found = route("GET", "/v1/orders/o-1/events")
    assert found is not None
    assert (found.rule.owner, found.params) == (Owner.ORDER_IN_PATH, {"order_id": "o-1"})
    assert route("DELETE", "/v1/orders/o-1") is None
    assert route("GET", "/v1/admin/inventory/p-1") is None
    assert route("GET", "/v1/orders/o-1/../../admin") is None


def test_round_robin_rotates_and_least_outstanding_avoids_the_busy_one() -> None:
    a, b = Replica("a", healthy=True), Replica("b", healthy=True)
    rr = RoundRobin()
    assert [rr.choose([a, b]).url for _ in range(4)] == ["a", "b", "a", "b"]
    a.outstanding = 3
    lo = LeastOutstanding()
    assert {lo.choose([a, b]).url for _ in range(5)} == {"b"}


def test_the_merged_document_keeps_only_what_the_gateway_admits() -> None:
    own = {"openapi": "3.1.0", "paths": {"/v2/orders/{order_id}": {"get": {}}}}
    order = {
        "paths": {
            "/v1/orders/{order_id}": {"get": {"x": 1}},
            "/health/live": {"get": {}},
        },
        "components": {"schemas": {"OrderView": {"type": "object"}}},
    }
    merged = merge(own, {"order": order})
    assert set(merged["paths"]) == {"/v2/orders/{order_id}", "/v1/orders/{order_id}"}
    assert "OrderView" in merged["components"]["schemas"]
    assert "bearer" in merged["components"]["securitySchemes"]
