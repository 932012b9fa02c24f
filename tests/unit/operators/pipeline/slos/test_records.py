"""The record names readers use (records.py) are the ones the generator writes."""

from __future__ import annotations

from operators.pipeline.slos import records
from operators.pipeline.slos.files import bundled
from operators.pipeline.slos.rules import rule_file


def test_every_record_a_reader_names_is_generated_for_every_measured_slo() -> None:
    for file in bundled():
        generated = {
            (rule["record"], rule["labels"]["slo"])
            for group in rule_file(file)["groups"]
            for rule in group["rules"]
            if "record" in rule
        }
        for slo in file.slos:
            if slo.sli.missing is not None:
                continue
            wanted = {records.OBJECTIVE}
            wanted |= {records.error_ratio_record(w) for w in records.WINDOWS}
            wanted |= {records.events_record(w) for w in records.WINDOWS}
            assert {(name, slo.name) for name in wanted} <= generated, slo.name


def test_a_window_without_bad_events_reads_as_zero_not_as_missing() -> None:
    expr = records.error_ratio("5m", records.slo_selector("checkout", "availability"))
    assert " or 0 * (slo:sli_events:increase5m{" in expr
    assert expr.endswith(" > 0))")
