"""checkov over every manifest the operator renders for the examples: nothing fails unlisted.

One checkov run (about 20 s) over the three rendered examples, judged against policies/skips.yaml
under the `operator-examples` name; a skip that no longer matches a failure fails too.
"""

from __future__ import annotations

import pytest
import yaml

from operators.paths import REPO_ROOT
from policies.checkov_runner import ScanResult, scan
from tests.unit.operators.pipeline.rendering import children

EXAMPLES = ("local", "dev", "prod")
SCAN_NAME = "operator-examples"


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    root = tmp_path_factory.mktemp("rendered")
    for name in EXAMPLES:
        folder = root / name
        folder.mkdir()
        for child in children(name):
            path = folder / f"{child['kind'].lower()}-{child['metadata']['name']}.yaml"
            path.write_text(yaml.safe_dump(child, sort_keys=False), encoding="utf-8")
    return scan([root], framework="kubernetes", repo_root=REPO_ROOT, environment=SCAN_NAME)


def test_rendered_manifests_fail_no_unlisted_check(result: ScanResult) -> None:
    failed = [(f.check_id, f.resource) for f in result.failed]
    assert failed == []
    assert result.parsing_errors == 0


def test_every_kubernetes_skip_is_still_needed(result: ScanResult) -> None:
    assert [s.check_id for s in result.stale_skips] == []


def test_checkov_actually_checked_the_workloads(result: ScanResult) -> None:
    deployments = {f.resource for f in result.passed if f.resource.startswith("Deployment.")}
    assert len(deployments) == 8 + 4 + 8  # local, dev, prod
    assert len(result.passed) > 1000


def test_the_skips_file_lists_a_reason_for_each_skip_used(result: ScanResult) -> None:
    assert {skip.check_id for _, skip in result.skipped} == {"CKV_K8S_35", "CKV_K8S_43"}
    assert all(len(skip.reason) > 40 for _, skip in result.skipped)


def test_the_prod_example_renders_sixty_one_children() -> None:
    # 8 workloads x (5 + PDB + ServiceMonitor) + 3 HPAs + the PrometheusRule + the flags ConfigMap
    assert len(children("prod")) == 61
