"""`conveyor flags set` changes one flag in the stack's file, validated, atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from operators.local import flags_file
from operators.pipeline.spec import OrderPipeline
from tests.unit.operators.pipeline.crd_schema import example

RATE = "fault.payment-provider.failure-rate"


def _spec(environment: str, *, allow: bool = False) -> OrderPipeline:
    resource = example("local")
    resource["spec"]["environment"] = environment
    resource["spec"]["allowFailureInjection"] = allow
    resource["spec"]["flags"] = {}
    return OrderPipeline.model_validate(resource)


def test_up_writes_the_pipelines_flags_and_set_changes_one(tmp_path: Path) -> None:
    path = tmp_path / "flags" / "flags.json"
    spec = OrderPipeline.model_validate(example("local")).spec
    flags_file.write_from_pipeline(path, spec)
    flags_file.set_flag(path, RATE, "0.5", spec=spec)
    written = json.loads(path.read_text())["flags"]
    assert written[RATE] == {"defaultVariant": "set", "state": "ENABLED",
                             "variants": {"none": 0.0, "set": 0.5}}  # fmt: skip
    assert "rollout.notification.confirmation-v2" in written  # the others are untouched
    assert [p.name for p in path.parent.iterdir()] == ["flags.json"]  # no temporary left


def test_an_invalid_value_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    spec = _spec("development").spec
    flags_file.set_flag(path, RATE, "0.1", spec=spec)
    before = path.read_text()
    with pytest.raises(flags_file.FlagsFileError, match="must be between 0 and 1"):
        flags_file.set_flag(path, RATE, "7", spec=spec)
    assert path.read_text() == before


def test_a_production_stack_refuses_a_failure_flag_unless_allowed(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    with pytest.raises(flags_file.FlagsFileError, match="refuses failure injection"):
        flags_file.set_flag(path, RATE, "0.5", spec=_spec("production").spec)
    assert not path.exists()
    flags_file.set_flag(path, RATE, "0.5", spec=_spec("production", allow=True).spec)
    flags_file.set_flag(path, "rollout.notification.confirmation-v2", "true",
                        spec=_spec("production").spec)  # fmt: skip
