"""The registry lists every scenario once, and a seed draws the same plans every time."""

from __future__ import annotations

import random

import pytest

from loadtests.chaos import registry


def test_every_registered_module_gives_a_scenario_with_a_unique_name() -> None:
    names = [scenario.name for scenario in registry.every()]
    assert len(names) == len(set(names)) == len(registry.MODULES), names


def test_an_unknown_scenario_is_refused_with_the_known_names() -> None:
    with pytest.raises(registry.UnknownScenarioError, match="choose from sigkill"):
        registry.select(["sigkil"])


def test_the_same_seed_draws_the_same_plans() -> None:
    def plans(seed: int) -> list[object]:
        rng = random.Random(seed)
        return [scenario.plan(rng) for scenario in registry.every()]

    assert plans(7) == plans(7)
    assert plans(7) != plans(8)
