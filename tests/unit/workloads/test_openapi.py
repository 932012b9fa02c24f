"""Every business route documents its answer: a 2xx shape with properties, errors as problem+json.

Each service's app is built by its own composition root (`__main__.app`) with settings that point
nowhere: building an app and its OpenAPI document does no I/O (the lifespan, which connects, never
runs). Logging and tracing setup are stubbed so the test leaves the process's globals alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from workloads.catalog.__main__ import app as catalog_app
from workloads.catalog.settings import CatalogSettings
from workloads.inventory.__main__ import app as inventory_app
from workloads.inventory.settings import InventorySettings
from workloads.notification.__main__ import app as notification_app
from workloads.notification.settings import NotificationSettings
from workloads.order.__main__ import app as order_app
from workloads.order.settings import OrderSettings
from workloads.payment.__main__ import app as payment_app
from workloads.payment.settings import PaymentSettings
from workloads.shared import runtime
from workloads.shared.problems import PROBLEM_JSON
from workloads.shipping.__main__ import app as shipping_app
from workloads.shipping.settings import ShippingSettings

NOWHERE = SecretStr("postgresql://unit.invalid/none")

SERVICES: dict[str, Callable[[], FastAPI]] = {
    "order": lambda: order_app(OrderSettings(database_url=NOWHERE)),
    "inventory": lambda: inventory_app(
        InventorySettings(database_url=NOWHERE, admin_token=SecretStr("t"))
    ),
    "payment": lambda: payment_app(PaymentSettings(database_url=NOWHERE)),
    "notification": lambda: notification_app(NotificationSettings(database_url=NOWHERE)),
    "shipping": lambda: shipping_app(ShippingSettings(database_url=NOWHERE)),
    "catalog": lambda: catalog_app(
        CatalogSettings(
            database_url=NOWHERE,
            admin_token=SecretStr("t"),
            redis_url=SecretStr("redis://unit.invalid:6379/0"),
        )
    ),
}

# The errors each business operation can answer with, beyond the 422 and 500 every one declares.
ERRORS: dict[tuple[str, str], set[int]] = {
    ("post", "/v1/orders"): {400, 409, 413},
    ("get", "/v1/orders/{order_id}"): {404},
    ("get", "/v1/orders/{order_id}/events"): {404},
    ("post", "/v1/orders/{order_id}/cancel"): {404, 409},
    ("get", "/v1/customers/{customer_id}/orders"): {400, 504},
    ("get", "/v1/inventory/{product_id}"): {404},
    ("put", "/v1/admin/inventory/{product_id}"): {400, 401, 413},
    ("get", "/v1/payments/ledger/summary"): set(),
    ("get", "/v1/payments/{order_id}"): {404},
    ("get", "/v1/notifications/{order_id}"): set(),
    ("get", "/v1/products"): {400},
    ("get", "/v1/products/{product_id}"): {404},
    ("put", "/v1/products/{product_id}"): {400, 401, 413},
    ("get", "/v1/featured"): set(),
    ("get", "/v1/categories"): set(),
    ("get", "/v1/shipments"): set(),
    ("get", "/v1/shipments/{shipment_id}"): {404},
}


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        if path.startswith("/v1/"):
            for method, operation in item.items():
                yield method, path, operation


def _resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        resolved: dict[str, Any] = document["components"]["schemas"][name]
        return resolved
    return schema


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runtime, "configure_logging", lambda *_args: None)
        patch.setattr(runtime, "configure_tracing", lambda *_args, **_kwargs: None)
        return {name: build().openapi() for name, build in SERVICES.items()}


def test_the_business_routes_are_the_ones_this_test_knows(
    documents: dict[str, dict[str, Any]],
) -> None:
    seen = {(m, p) for doc in documents.values() for m, p, _ in _operations(doc)}
    assert seen == set(ERRORS)


@pytest.mark.parametrize("service", SERVICES)
def test_every_business_route_declares_a_success_shape_with_properties(
    service: str, documents: dict[str, dict[str, Any]]
) -> None:
    document = documents[service]
    for method, path, operation in _operations(document):
        successes = [r for status, r in operation["responses"].items() if status.startswith("2")]
        assert len(successes) == 1, f"{method} {path}: {list(operation['responses'])}"
        schema = successes[0]["content"]["application/json"]["schema"]
        assert "$ref" in schema, f"{method} {path} answers an anonymous shape: {schema}"
        assert _resolved(document, schema).get("properties"), f"{method} {path}: no properties"


@pytest.mark.parametrize("service", SERVICES)
def test_every_business_route_declares_its_errors_as_problem_documents(
    service: str, documents: dict[str, dict[str, Any]]
) -> None:
    document = documents[service]
    for method, path, operation in _operations(document):
        errors = {int(s): r for s, r in operation["responses"].items() if s[0] in "45"}
        assert set(errors) == ERRORS[(method, path)] | {422, 500}, f"{method} {path}"
        for status, response in errors.items():
            assert list(response["content"]) == [PROBLEM_JSON], f"{method} {path} {status}"
            problem = _resolved(document, response["content"][PROBLEM_JSON]["schema"])
            assert {"type", "title", "status", "detail", "correlation_id"} <= set(
                problem["properties"]
            ), f"{method} {path} {status}"
