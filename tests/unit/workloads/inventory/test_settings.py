"""Inventory refuses a reservation TTL shorter than a saga may need."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from workloads.inventory.settings import MIN_RESERVATION_TTL_S, InventorySettings


def _settings(ttl_s: float) -> InventorySettings:
    return InventorySettings(
        database_url=SecretStr("postgresql://x@127.0.0.1/x"),
        admin_token=SecretStr("token"),
        reservation_ttl_s=ttl_s,
    )


@pytest.mark.parametrize("ttl_s", [0.001, 1, 30, MIN_RESERVATION_TTL_S - 0.5])
def test_a_ttl_shorter_than_a_saga_is_refused_naming_the_relation(ttl_s: float) -> None:
    with pytest.raises(ValidationError, match="SAGA_STEP_TIMEOUT_S"):
        _settings(ttl_s)


def test_the_minimum_outlasts_two_default_saga_steps() -> None:
    assert MIN_RESERVATION_TTL_S >= 2 * 30  # reserve, then pay, at the order service's default
    assert _settings(MIN_RESERVATION_TTL_S).reservation_ttl_s == MIN_RESERVATION_TTL_S
    assert _settings(900).reservation_ttl_s == 900  # operators/examples/local.yaml
