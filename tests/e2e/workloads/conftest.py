"""Fixtures for tests that drive the real services (processes under the local supervisor)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from rich.console import Console

from operators.local.stack import LocalStack
from tests.e2e.workloads.saga_client import SagaClient


@pytest.fixture
async def client(stack: LocalStack) -> AsyncIterator[SagaClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield SagaClient(stack, http)


@pytest.fixture
def workloads_restored(stack: LocalStack) -> Iterator[LocalStack]:
    """For tests that kill, scale or re-flag workloads: put everything back afterwards.

    Only the workloads a test gave extra environment (or a namespace) are restarted; held or
    scaled replicas are put back by the supervisor. Every replica is ready before the next test.
    """
    yield stack
    for name in stack.workloads.reset():
        stack.workloads.restart(name, stack.settings.stop_timeout_s)
    stack.wait_for_workloads(Console(file=io.StringIO()))
