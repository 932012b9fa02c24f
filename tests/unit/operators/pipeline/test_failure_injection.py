"""A production pipeline cannot switch failure injection on, unless it says so explicitly."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from operators.pipeline.spec import OrderPipeline
from tests.unit.operators.pipeline.crd_schema import example


def _production(**flags: dict[str, Any]) -> dict[str, Any]:
    resource = example("local")
    resource["spec"]["environment"] = "production"
    for workload in resource["spec"]["workloads"].values():
        workload.pop("featureFlags", None)
    for field, names in flags.items():
        resource["spec"]["workloads"]["payment"][field] = names
    return resource


@pytest.mark.parametrize(
    ("field", "name"),
    [
        ("featureFlags", "PAYMENT_FAILURE_RATE"),
        ("featureFlags", "PAYMENT_LATENCY_MS"),
        ("featureFlags", "FAULT_CRASH_AFTER_APPLY"),
        ("env", "FAULT_FAIL_EVENT_TYPES"),
        ("env", "CONVEYOR_TEST_HOOKS"),
    ],
)
def test_a_production_pipeline_refuses_a_failure_flag_naming_it(field: str, name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        OrderPipeline.model_validate(_production(**{field: {name: "1"}}))
    assert f"workloads.payment.{field}.{name}: a production pipeline refuses" in str(refused.value)


def test_a_production_pipeline_may_allow_failure_injection_explicitly() -> None:
    resource = _production(featureFlags={"PAYMENT_FAILURE_RATE": "0.5"})
    resource["spec"]["allowFailureInjection"] = True
    spec = OrderPipeline.model_validate(resource).spec
    assert spec.workloads["payment"].feature_flags == {"PAYMENT_FAILURE_RATE": "0.5"}


def test_a_production_pipeline_keeps_its_other_flags() -> None:
    resource = _production(featureFlags={"SAGA_STEP_TIMEOUT_S": "30"})
    spec = OrderPipeline.model_validate(resource).spec
    assert (spec.environment, spec.workloads["payment"].feature_flags) == (
        "production",
        {"SAGA_STEP_TIMEOUT_S": "30"},
    )


def test_a_pipeline_that_names_no_environment_is_production() -> None:
    resource = _production(featureFlags={"FAULT_FAIL_EVENT_TYPES": "ProcessPayment"})
    del resource["spec"]["environment"]
    with pytest.raises(ValidationError, match="refuses failure injection"):
        OrderPipeline.model_validate(resource)


def test_a_development_pipeline_may_inject_failures() -> None:
    resource = _production(featureFlags={"FAULT_FAIL_EVENT_TYPES": "ProcessPayment"})
    resource["spec"]["environment"] = "development"
    assert OrderPipeline.model_validate(resource).spec.environment == "development"
