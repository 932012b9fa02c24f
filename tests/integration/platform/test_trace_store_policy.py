"""checkov over the Kubernetes objects the platform declares in code (the trace store): nothing
fails unlisted. The synthesized graph's `terraform_plan` scan leaves `kubernetes:*` objects out,
so the typed Deployment and Service of the monitoring namespace are scanned here as manifests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from operators.paths import REPO_ROOT
from policies.checkov_runner import ScanResult, scan
from policies.synth_graph import Graph

MONITORING = "monitoring"
KINDS = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:core/v1:Service",
    "kubernetes:networking.k8s.io/v1:NetworkPolicy",
)


def manifests(graph: Graph, directory: Path) -> Path:
    """The monitoring namespace's Deployments and Services, one manifest each, in `directory`
    (the operator's, read from operators/deploy/, are scanned by tests/integration/policies/)."""
    for token in KINDS:
        for resource in graph.of_type(token):
            if resource.inputs["metadata"].get("namespace") != MONITORING:
                continue
            (directory / f"{resource.name}.yaml").write_text(yaml.safe_dump(resource.inputs))
    return directory


@pytest.fixture(scope="module")
def result(graphs: dict[str, Graph], tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    written = manifests(graphs["prod"], tmp_path_factory.mktemp("platform-manifests"))
    return scan([written], framework="kubernetes", repo_root=REPO_ROOT, environment="platform")


def test_the_platforms_own_kubernetes_objects_fail_no_unlisted_check(result: ScanResult) -> None:
    assert result.failed == [], result.failed
    assert result.stale_skips == []
    assert result.parsing_errors == 0


def test_checkov_actually_checked_the_trace_store(result: ScanResult) -> None:
    checked = {f.resource for f in result.passed}
    assert "Deployment.monitoring.zipkin" in checked
