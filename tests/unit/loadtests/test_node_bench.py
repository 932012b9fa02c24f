"""The operator benchmark's two kinds of run share build/bench/operator.json, each keeping
the other's figures."""

from __future__ import annotations

import json
from pathlib import Path

from loadtests.node_bench import write_section


def test_a_node_run_keeps_the_api_server_figures_and_the_other_way_round(tmp_path: Path) -> None:
    out = tmp_path / "bench" / "operator.json"
    write_section(out, None, {"rounds": [1], "summary": {"a": 1}})
    write_section(out, "node", {"rounds": [2]})
    assert json.loads(out.read_text()) == {
        "rounds": [1],
        "summary": {"a": 1},
        "node": {"rounds": [2]},
    }
    write_section(out, None, {"rounds": [3], "summary": {"a": 3}})
    assert json.loads(out.read_text()) == {
        "rounds": [3],
        "summary": {"a": 3},
        "node": {"rounds": [2]},
    }
