"""The committed rule files are what the specs generate, and every alert has its runbook."""

from __future__ import annotations

from operators.pipeline.slos.files import RULE_DIR, SPEC_DIR, load, rendered
from operators.pipeline.slos.rules import alert_names

RUNBOOK_DIR = SPEC_DIR.parents[1] / "docs" / "runbooks"


def test_committed_rule_files_match_the_specs() -> None:
    expected = rendered(load())
    committed = {p.name: p.read_text(encoding="utf-8") for p in sorted(RULE_DIR.glob("*.yaml"))}
    assert sorted(committed) == sorted(expected), "run `conveyor slo generate`"
    for name, text in expected.items():
        assert committed[name] == text, (
            f"observability/rules/{name} drifted: run `conveyor slo generate`"
        )


def test_every_generated_alert_has_a_runbook() -> None:
    names = [*alert_names(list(load().values())), "ConveyorLatencyP99High"]
    missing = [n for n in names if not (RUNBOOK_DIR / f"{n}.md").is_file()]
    assert missing == []
