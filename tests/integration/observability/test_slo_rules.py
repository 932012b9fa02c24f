"""The generated SLO rules load in Prometheus's own checker and their alerts behave (promtool).

`promtool check rules` parses every rule file of observability/rules/; `promtool test rules` runs
the unit tests of observability/rules/tests/ (fast and slow page, ticket, absent series, no page at
low traffic, probes not counted) and observability/alerts/tests/ (parked sagas and outbox rows). A
copy with a wrong burn factor proves the tests bite. promtool comes from Debian's `prometheus`
package (the local stack's installer needs it too).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from operators.paths import REPO_ROOT

RULES = REPO_ROOT / "observability" / "rules"
ALERTS = REPO_ROOT / "observability" / "alerts"
APT = "sudo apt-get install prometheus"


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail(f"promtool is missing: {APT}")
    return found


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)


def test_every_rule_file_passes_promtool_check(promtool: str) -> None:
    files = sorted(str(p) for d in (RULES, ALERTS) for p in d.glob("*.yaml"))
    assert len(files) == 3
    result = _run(promtool, "check", "rules", *files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_fires_and_resolves_as_the_rule_tests_say(promtool: str) -> None:
    tests = sorted(str(p) for d in (RULES, ALERTS) for p in (d / "tests").glob("*.yaml"))
    assert len(tests) == 3
    result = _run(promtool, "test", "rules", *tests)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_burn_factor_fails_the_rule_tests(promtool: str, tmp_path: Path) -> None:
    # The slow-burn page at 60x instead of 6x (0.06 instead of 0.006): a 1 % burn no longer pages.
    rules = (RULES / "checkout.yaml").read_text(encoding="utf-8")
    assert rules.count("> 0.006 ") >= 2
    (tmp_path / "checkout.yaml").write_text(rules.replace("> 0.006 ", "> 0.06 "), encoding="utf-8")
    (tmp_path / "tests").mkdir()
    shutil.copy(RULES / "tests" / "checkout.yaml", tmp_path / "tests" / "checkout.yaml")
    result = _run(promtool, "test", "rules", str(tmp_path / "tests" / "checkout.yaml"))
    assert result.returncode != 0
    assert "page on a slow burn (6h/30m at 6x)" in result.stdout + result.stderr


def test_a_parked_saga_alert_with_a_wrong_threshold_fails_its_rule_test(
    promtool: str, tmp_path: Path
) -> None:
    # `> 2` instead of `> 0`: two parked orders no longer open a ticket.
    rules = (ALERTS / "operations.yaml").read_text(encoding="utf-8")
    broken = rules.replace(
        "max(conveyor_saga_needs_attention) > 0", "max(conveyor_saga_needs_attention) > 2"
    )
    assert broken != rules
    (tmp_path / "operations.yaml").write_text(broken, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    shutil.copy(ALERTS / "tests" / "operations.yaml", tmp_path / "tests" / "operations.yaml")
    result = _run(promtool, "test", "rules", str(tmp_path / "tests" / "operations.yaml"))
    assert result.returncode != 0
    assert "a parked saga opens a ticket" in result.stdout + result.stderr
