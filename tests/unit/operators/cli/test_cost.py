"""`conveyor cost`: the missing-artifact message, and the JSON it writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from operators.cli import cost as cost_cli
from tests.unit.policies.cost.conftest import SMALL


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setattr(cost_cli, "SYNTH_DIR", tmp_path / "synth")
    monkeypatch.setattr(cost_cli, "COST_DIR", tmp_path / "cost")
    app = typer.Typer()
    app.command()(cost_cli.cost)
    return app


def test_missing_synth_tells_how_to_make_it(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["--env", "dev"])

    assert result.exit_code == 2
    assert "make synth ENV=dev" in result.output
    assert "conveyor synth --env dev" in result.output


def test_writes_the_cost_document_and_prints_the_total(cli: typer.Typer, tmp_path: Path) -> None:
    (tmp_path / "synth").mkdir()
    shutil.copy(SMALL, tmp_path / "synth" / "dev.json")

    result = CliRunner().invoke(cli, ["--env", "dev", "--users", "100000"])

    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "cost" / "dev.json").read_text())
    assert written["configured"]["monthly_usd"] > 0
    assert written["at_load"]["orders_per_day"] == pytest.approx(9863.0, abs=0.1)
    assert [u["label"] for u in written["users"]] == ["100,000 users", "500,000 users"]
    assert written["reference"]["brief_monthly_usd"] == 6750
    assert f"{written['configured']['monthly_usd']:,.2f}" in result.output


def test_an_unpriced_resource_fails_the_command_naming_it(cli: typer.Typer, tmp_path: Path) -> None:
    data = json.loads(SMALL.read_text())
    data["resources"].append(
        {
            "urn": "urn:x",
            "type": "aws:dynamodb/table:Table",
            "name": "orders",
            "custom": True,
            "id": "orders-id",
            "inputs": {},
            "parent": None,
        }
    )
    (tmp_path / "synth").mkdir()
    (tmp_path / "synth" / "dev.json").write_text(json.dumps(data))

    result = CliRunner().invoke(cli, ["--env", "dev"])

    assert result.exit_code == 1
    assert "aws:dynamodb/table:Table (orders)" in result.output
    assert not (tmp_path / "cost" / "dev.json").exists()
