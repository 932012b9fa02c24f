"""The model's files: the two YAML tables beside this module, and the synth/cost artifacts.

The only I/O of the cost model; everything else is pure over what these return.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from policies.cost.tables import AssumptionFile, PriceTable, parse_assumptions, parse_prices
from policies.synth_graph import Graph, parse

HERE = Path(__file__).resolve().parent
PRICES = HERE / "prices.yaml"
ASSUMPTIONS = HERE / "assumptions.yaml"


def read_prices(path: Path = PRICES) -> PriceTable:
    return parse_prices(yaml.safe_load(path.read_text()))


def read_assumptions(path: Path = ASSUMPTIONS) -> AssumptionFile:
    return parse_assumptions(yaml.safe_load(path.read_text()))


def read_graph(path: Path) -> Graph:
    data: Any = json.loads(path.read_text())
    return parse(data)


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
