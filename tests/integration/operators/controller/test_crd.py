"""The CRD as the real API server serves it: schema, CEL rules, subresources, printer columns."""

from __future__ import annotations

import json

import pytest

from tests.integration.operators.controller.cluster_tools import Kubectl, pipeline
from tests.unit.operators.pipeline.cases import SERVER_CASES, InvalidCase

CRD = "orderpipelines.conveyor.dev"


def test_the_crd_is_served_with_status_and_scale_subresources(kubectl: Kubectl) -> None:
    crd = json.loads(kubectl.run("get", "crd", CRD, "-o", "json"))
    version = crd["spec"]["versions"][0]
    assert version["name"] == "v1alpha1"
    assert set(version["subresources"]) == {"status", "scale"}
    assert {c["name"] for c in version["additionalPrinterColumns"]} >= {"Phase", "Ready", "Age"}
    established = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
    assert established["Established"] == "True"


@pytest.mark.parametrize("case", SERVER_CASES, ids=lambda c: c.id)
def test_an_invalid_spec_is_refused_by_the_server_naming_the_field(
    kubectl: Kubectl, case: InvalidCase
) -> None:
    broken = case.apply(pipeline("local", "default", name="invalid"))
    result = kubectl.attempt("apply", "--dry-run=server", "-f", "-", stdin=_yaml(broken))
    assert result.returncode != 0, f"the server accepted {case.id}"
    assert case.message in result.stderr


def test_a_valid_example_passes_server_side_validation(kubectl: Kubectl) -> None:
    for example in ("local", "dev", "prod"):
        body = pipeline(example, "default", name=f"valid-{example}")
        result = kubectl.attempt("apply", "--dry-run=server", "-f", "-", stdin=_yaml(body))
        assert result.returncode == 0, result.stderr


def _yaml(body: dict[str, object]) -> str:
    return json.dumps(body)
