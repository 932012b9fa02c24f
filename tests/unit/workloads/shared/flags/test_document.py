"""The flags file as data: what `conveyor flags set` writes is valid, and nothing invalid is."""

from __future__ import annotations

import json

import pytest

from workloads.shared.flags.document import FlagsDocument
from workloads.shared.flags.names import INVENTORY_ERROR_RATE, PAYMENT_PROVIDER_LATENCY_MS

ROLLOUT = {
    "variants": {"on": True, "off": False},
    "defaultVariant": "off",
    "targeting": {"fractional": [{"var": "targetingKey"}, ["on", 20], ["off", 80]]},
}


def _doc(**flags: object) -> FlagsDocument:
    return FlagsDocument.model_validate({"flags": flags})


def test_setting_a_known_flag_the_file_lacks_adds_it_with_the_value() -> None:
    changed = _doc().with_value(INVENTORY_ERROR_RATE.key, "0.25")
    assert changed.defaults() == {INVENTORY_ERROR_RATE.key: 0.25}


def test_a_whole_number_for_a_rate_is_written_as_a_float_the_provider_accepts() -> None:
    changed = _doc().with_value(INVENTORY_ERROR_RATE.key, "1")
    written = json.loads(changed.to_json())["flags"][INVENTORY_ERROR_RATE.key]
    assert written["variants"]["set"] == 1.0
    assert isinstance(written["variants"]["set"], float)


def test_naming_a_variant_gives_it_to_everyone_dropping_the_rollout_rule() -> None:
    changed = _doc(**{"rollout.notification.confirmation-v2": ROLLOUT}).with_value(
        "rollout.notification.confirmation-v2", "on"
    )
    flag = changed.flags["rollout.notification.confirmation-v2"]
    assert (flag.default_variant, flag.targeting) == ("on", None)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (INVENTORY_ERROR_RATE.key, "1.5", "must be between 0 and 1"),
        (PAYMENT_PROVIDER_LATENCY_MS.key, "-1", "must be between 0 and 120000"),
        (PAYMENT_PROVIDER_LATENCY_MS.key, "2.5", "takes a whole number"),
        (INVENTORY_ERROR_RATE.key, "true", "is a number flag"),
        ("rollout.notification.confirmation-v2", "maybe", "is a boolean flag"),
        ("fault.nothing.here", "1", "no flag 'fault.nothing.here'"),
    ],
)
def test_an_invalid_value_is_refused_naming_the_rule(key: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _doc().with_value(key, value)


def test_a_default_variant_that_is_not_a_variant_is_refused() -> None:
    with pytest.raises(ValueError, match="defaultVariant 'x' is not one of"):
        _doc(**{"rollout.a.b": {"variants": {"on": True}, "defaultVariant": "x"}})


def test_variants_of_mixed_types_are_refused() -> None:
    with pytest.raises(ValueError, match="same type"):
        _doc(**{"rollout.a.b": {"variants": {"on": True, "n": 3}, "defaultVariant": "on"}})
