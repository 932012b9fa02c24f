"""The committed rule files are what the specs generate, and every alert has its runbook."""

from __future__ import annotations

import yaml

from operators.pipeline.slos.files import ALERT_DIR, RULE_DIR, SPEC_DIR, load, rendered
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


def test_every_alert_prometheus_loads_links_its_own_runbook() -> None:
    # Every alert of every file the local Prometheus loads (generated, hand-written, and the
    # time-compressed copy): runbook_url is docs/runbooks/<alert>.md, and that page exists.
    texts = [p.read_text(encoding="utf-8") for d in (RULE_DIR, ALERT_DIR) for p in d.glob("*.yaml")]
    texts += list(rendered(load(), speedup=12).values())
    alerts = [
        rule
        for text in texts
        for group in yaml.safe_load(text)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]
    assert len(alerts) >= 11
    wrong = [
        f"{rule['alert']}: {rule.get('annotations', {}).get('runbook_url')}"
        for rule in alerts
        if rule.get("annotations", {}).get("runbook_url") != f"docs/runbooks/{rule['alert']}.md"
        or not (RUNBOOK_DIR / f"{rule['alert']}.md").is_file()
    ]
    assert wrong == []
