"""A production pipeline cannot switch failure injection on, unless it says so explicitly."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from operators.pipeline.spec import OrderPipeline
from tests.unit.operators.pipeline.crd_schema import example

FAULT = {"variants": {"half": 0.5}, "defaultVariant": "half"}
ROLLOUT = {"variants": {"on": True, "off": False}, "defaultVariant": "off"}


def _production(flags: dict[str, Any] | None = None, **env: dict[str, Any]) -> dict[str, Any]:
    resource = example("local")
    resource["spec"]["environment"] = "production"
    resource["spec"]["flags"] = flags or {}
    for field, names in env.items():
        resource["spec"]["workloads"]["payment"][field] = names
    return resource


@pytest.mark.parametrize(
    "flag",
    ["fault.payment-provider.failure-rate", "fault.inventory.error-rate", "fault.order.latency-ms"],
)
def test_a_production_pipeline_refuses_a_failure_flag_naming_it(flag: str) -> None:
    with pytest.raises(ValidationError) as refused:
        OrderPipeline.model_validate(_production({flag: FAULT}))
    assert f"flags.{flag}: a production pipeline refuses failure injection" in str(refused.value)


@pytest.mark.parametrize(
    ("field", "name"), [("env", "FAULT_FAIL_EVENT_TYPES"), ("env", "CONVEYOR_TEST_HOOKS")]
)
def test_a_production_pipeline_refuses_test_hooks_naming_them(field: str, name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        OrderPipeline.model_validate(_production(**{field: {name: "1"}}))
    assert f"workloads.payment.{field}.{name}: a production pipeline refuses" in str(refused.value)


def test_a_production_pipeline_may_allow_failure_injection_explicitly() -> None:
    resource = _production({"fault.payment-provider.failure-rate": FAULT})
    resource["spec"]["allowFailureInjection"] = True
    spec = OrderPipeline.model_validate(resource).spec
    assert spec.flags["fault.payment-provider.failure-rate"].variants == {"half": 0.5}


def test_a_production_pipeline_keeps_its_rollout_flags() -> None:
    spec = OrderPipeline.model_validate(
        _production({"rollout.notification.confirmation-v2": ROLLOUT})
    ).spec
    assert (spec.environment, list(spec.flags)) == (
        "production",
        ["rollout.notification.confirmation-v2"],
    )


def test_a_pipeline_that_names_no_environment_is_production() -> None:
    resource = _production({"fault.inventory.error-rate": FAULT})
    del resource["spec"]["environment"]
    with pytest.raises(ValidationError, match="refuses failure injection"):
        OrderPipeline.model_validate(resource)


def test_a_development_pipeline_may_inject_failures() -> None:
    resource = _production({"fault.inventory.error-rate": FAULT})
    resource["spec"]["environment"] = "development"
    assert OrderPipeline.model_validate(resource).spec.environment == "development"


def test_a_known_flag_out_of_its_range_is_refused_naming_the_range() -> None:
    resource = _production({"fault.inventory.error-rate": {**FAULT, "variants": {"half": 5}}})
    resource["spec"]["environment"] = "development"
    with pytest.raises(ValidationError, match="error-rate must be between 0 and 1"):
        OrderPipeline.model_validate(resource)
