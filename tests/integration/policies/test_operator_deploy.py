"""checkov over the operator's own manifests (operators/deploy/): nothing fails unlisted."""

from __future__ import annotations

import pytest

from operators.paths import REPO_ROOT
from policies.checkov_runner import ScanResult, scan

DEPLOY = REPO_ROOT / "operators" / "deploy"


@pytest.fixture(scope="module")
def result() -> ScanResult:
    return scan(
        [DEPLOY], framework="kubernetes", repo_root=REPO_ROOT, environment="operator-deploy"
    )


def test_the_operators_manifests_fail_no_unlisted_check(result: ScanResult) -> None:
    assert result.failed == [], result.failed
    assert result.stale_skips == []
    assert result.parsing_errors == 0


def test_checkov_actually_checked_the_operator_deployment(result: ScanResult) -> None:
    checked = {f.resource for f in result.passed}
    assert any(r.startswith("Deployment.conveyor-system.conveyor-operator") for r in checked)
