"""Fixtures for the policy tests: the hand-written small graph and variants of it."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from operators.paths import REPO_ROOT
from policies.synth_graph import Graph, parse

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "synth-small.json"


def small_raw() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(FIXTURE.read_text())
    return raw


def find(raw: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in raw["resources"] if r["name"] == name)
    return found


def set_input(raw: dict[str, Any], name: str, path: str, value: Any) -> dict[str, Any]:
    """A copy of `raw` with inputs (and state) of `name` changed at a dotted path."""
    changed = copy.deepcopy(raw)
    resource = find(changed, name)
    for section in ("inputs", "state"):
        target = resource[section]
        *parents, leaf = path.split(".")
        for key in parents:
            target = target.setdefault(key, {})
        target[leaf] = value
    return changed


def insecure_raw() -> dict[str, Any]:
    """The deliberately insecure variant: public RDS, plaintext and unauthenticated MSK."""
    raw = set_input(small_raw(), "conveyor-dev-db", "publiclyAccessible", True)
    raw = set_input(raw, "conveyor-dev-db", "storageEncrypted", False)
    raw = set_input(
        raw,
        "conveyor-dev-kafka",
        "encryptionInfo",
        {"encryptionInTransit": {"clientBroker": "PLAINTEXT", "inCluster": False}},
    )
    return set_input(raw, "conveyor-dev-kafka", "clientAuthentication", {"unauthenticated": True})


@pytest.fixture
def small() -> Graph:
    """The hand-written small graph, parsed (conftests of the policy tests re-export it)."""
    return parse(small_raw())
