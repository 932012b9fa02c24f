"""Shared fixtures: the real local stack, started (idempotently) once per test session.

A missing server fails the run with the command that installs it; nothing is skipped.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from operators.local.installs import MissingDependencyError
from operators.local.servers import ServerError
from operators.local.stack import LocalStack


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
