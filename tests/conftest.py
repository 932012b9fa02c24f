"""Test levels, set by folder, and the fixtures every level shares.

- `tests/unit/`: no servers and no subprocesses. A guard (tests/unit/conftest.py) fails any unit
  test that opens a network connection or starts a process, so `make unit` runs with nothing up.
- `tests/integration/`: real servers (PostgreSQL, Kafka, Redis, the Kubernetes API server) and real
  tools (checkov, Pulumi's mocks in a process of their own).
- `tests/e2e/`: the services as processes, the whole saga.

Each test is marked by its folder here, never by hand, and the run is ordered unit → integration →
e2e; inside e2e, modules marked `history` run last because they audit what every other test
published. The local stack starts (idempotently) once per session; a missing server fails the run
with the command that installs it; nothing is skipped.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from operators.local.installs import MissingDependencyError
from operators.local.servers import ServerError
from operators.local.stack import LocalStack

LEVELS = ("unit", "integration", "e2e")


def level_of(item: pytest.Item) -> str:
    """The level a test belongs to, from the first folder under tests/."""
    parts = item.path.relative_to(item.config.rootpath / "tests").parts
    if parts and parts[0] in LEVELS:
        return parts[0]
    raise pytest.UsageError(f"{item.nodeid}: every test lives under tests/{{{','.join(LEVELS)}}}/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(getattr(pytest.mark, level_of(item)))

    def rank(item: pytest.Item) -> tuple[int, int]:
        return LEVELS.index(level_of(item)), 1 if item.get_closest_marker("history") else 0

    items.sort(key=rank)  # stable: the file order within a rank is kept


@pytest.fixture(scope="session")
def stack() -> LocalStack:
    local = LocalStack()
    log = io.StringIO()
    try:
        local.up(Console(file=log, width=120))
    except (MissingDependencyError, ServerError) as exc:
        pytest.fail(f"the local stack could not start:\n{exc}\n(run `make up` to see it start)")
    return local


@pytest.fixture
def quiet() -> Console:
    return Console(file=io.StringIO(), width=120)
