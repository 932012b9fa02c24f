"""An invalid SLO spec is refused, and the refusal names the file and the field."""

from __future__ import annotations

import pytest
import yaml

from operators.pipeline.slos.files import SPEC_DIR, SloSpecError, load, parse

GOOD = (SPEC_DIR / "checkout.yaml").read_text(encoding="utf-8")


def _broken(path: list[str | int], value: object) -> str:
    raw = yaml.safe_load(GOOD)
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return yaml.safe_dump(raw)


def test_the_committed_specs_validate() -> None:
    specs = load()
    assert sorted(specs) == ["checkout.yaml", "workloads.yaml"]
    checkout = specs["checkout.yaml"]
    assert [s.name for s in checkout.slos] == ["availability", "latency", "saga-completion"]


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (["slos", 0, "objective"], 100, "slos.0.objective"),
        (["slos", 1, "sli", "latency", "threshold_seconds"], 3.0, "slos.1.sli.latency"),
        (["slos", 0, "sli", "events", "errors"], "status=5..", "slos.0.sli.events.errors"),
        (["slos", 0, "alerting", "name"], "checkout-availability", "slos.0.alerting.name"),
        (["slos", 0, "alerting", "min_events"], -1, "slos.0.alerting.min_events"),
        (["slos", 0, "window"], "30d", "slos.0.window"),
        (["version"], "prometheus/v1", "version"),
    ],
)
def test_an_invalid_spec_is_refused_naming_the_field(
    path: list[str | int], value: object, field: str
) -> None:
    with pytest.raises(SloSpecError, match=rf"broken\.yaml: invalid SLO spec: .*{field}"):
        parse(_broken(path, value), source="broken.yaml")


def test_a_latency_threshold_off_the_buckets_names_the_buckets() -> None:
    text = _broken(["slos", 1, "sli", "latency", "threshold_seconds"], 3.0)
    with pytest.raises(SloSpecError, match=r"not a bucket boundary .*2\.5, 5\.0"):
        parse(text, source="broken.yaml")


def test_an_sli_must_be_exactly_one_kind() -> None:
    raw = yaml.safe_load(GOOD)
    raw["slos"][0]["sli"]["latency"] = raw["slos"][1]["sli"]["latency"]
    with pytest.raises(SloSpecError, match=r"slos\.0\.sli: .*exactly one of"):
        parse(yaml.safe_dump(raw), source="broken.yaml")


def test_alert_names_are_unique_in_a_file() -> None:
    raw = yaml.safe_load(GOOD)
    raw["slos"][1]["alerting"]["name"] = "CheckoutAvailability"
    with pytest.raises(SloSpecError, match=r"alerting\.name repeated: \['CheckoutAvailability'\]"):
        parse(yaml.safe_dump(raw), source="broken.yaml")
