"""Every resource of every real stack is priced or listed as free, and every stack prices.

The graphs come from the real program: `conveyor synth` runs once per session into a temporary
directory (build/synth is left alone). A resource type new to the platform fails here until
prices.yaml / pricers.py price it or say why it is free, so nothing is silently $0.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from policies.cost.files import read_graph
from policies.cost.model import price, unpriced_types
from policies.cost.tables import AssumptionFile, PriceTable

ENVS = ("dev", "staging", "prod")
CONVEYOR = Path(sys.executable).parent / "conveyor"


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    args = [str(CONVEYOR), "synth", *(a for env in ENVS for a in ("--env", env)), "--out", str(out)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        pytest.fail(f"`{' '.join(args)}` failed ({done.returncode}):\n{done.stderr}")
    return out


@pytest.mark.parametrize("env", ENVS)
def test_every_resource_type_is_priced_or_listed_free(
    env: str, synth_dir: Path, prices: PriceTable
) -> None:
    assert unpriced_types(read_graph(synth_dir / f"{env}.json"), prices) == []


@pytest.mark.parametrize("env", ENVS)
def test_every_stack_prices_with_its_own_assumptions(
    env: str, synth_dir: Path, prices: PriceTable, real_assumptions: AssumptionFile
) -> None:
    report = price(read_graph(synth_dir / f"{env}.json"), prices, real_assumptions.for_env(env))

    assert report.total > 0
    assert {"network", "cluster", "database", "cache", "streaming"} <= set(report.per_component)


def test_prod_costs_more_than_staging_and_staging_more_than_dev(
    synth_dir: Path, prices: PriceTable, real_assumptions: AssumptionFile
) -> None:
    totals = [
        price(read_graph(synth_dir / f"{env}.json"), prices, real_assumptions.for_env(env)).total
        for env in ENVS
    ]

    assert totals == sorted(totals)
