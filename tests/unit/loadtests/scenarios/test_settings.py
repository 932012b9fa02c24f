"""Per-service URLs until a gateway is given; then every request goes through the gateway."""

from __future__ import annotations

from loadtests.scenarios.settings import LoadSettings


def test_each_service_has_its_own_url_without_a_gateway() -> None:
    settings = LoadSettings(catalog_url="http://c:1/", order_url="http://o:2")
    assert settings.url("catalog") == "http://c:1"
    assert settings.url("order") == "http://o:2"


def test_the_gateway_takes_every_request_when_given() -> None:
    settings = LoadSettings(gateway_url="http://gw:18000", catalog_url="http://c:1")
    assert {settings.url(s) for s in ("catalog", "order", "inventory")} == {"http://gw:18000"}


def test_a_sale_orders_only_the_hot_products() -> None:
    assert LoadSettings(products=50, hot_products=5).product_ids() == [
        f"load-{n}" for n in range(5)
    ]
