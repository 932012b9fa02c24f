"""`conveyor policy`: exit codes and what it prints."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from operators.cli.app import app
from tests.support.policy_graphs import insecure_raw


def test_an_insecure_stack_fails_with_both_tools_named(tmp_path: Path) -> None:
    (tmp_path / "insecure.json").write_text(json.dumps(insecure_raw()))
    result = CliRunner().invoke(
        app,
        ["policy", "--env", "insecure", "--synth-dir", str(tmp_path), "--out", str(tmp_path)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 1, result.output
    assert "CKV_AWS_17" in result.output
    assert "crossguard:rds-private-and-encrypted" in result.output
    assert (tmp_path / "insecure" / "plan.json").exists()


def test_a_missing_synth_names_the_command_that_makes_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["policy", "--env", "nope", "--synth-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "conveyor synth --env nope" in result.output
