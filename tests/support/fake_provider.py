"""The fake card provider in-process, a ledger in memory: over an ASGI transport for unit tests,
served on loopback for the payment service's client (tests/integration/workloads/payment).

Its flags are an in-memory OpenFeature provider (the same `Flags` the process builds over the
flags file), and `FlakyChance` scripts the failure draws, so a test says "fail, then answer"
instead of hoping for a random number.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fastapi import FastAPI
from openfeature.provider.in_memory_provider import InMemoryFlag, InMemoryProvider

from operators.local.fakes.payment_provider.app import create_app
from operators.local.fakes.payment_provider.ledger import Ledger
from operators.local.fakes.payment_provider.settings import ProviderSettings
from workloads.shared.flags.client import Flags
from workloads.shared.flags.names import PAYMENT_PROVIDER_FAILURE_RATE

_domains = itertools.count()


@dataclass
class FlakyChance:
    """Returns the scripted draws in order, then 1.0 (below no failure rate short of 1)."""

    draws: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.draws.pop(0) if self.draws else 1.0


async def _no_wait(_: float) -> None:
    return None


def flags_of(values: dict[str, float | int | bool], *, draws: Iterable[float] = ()) -> Flags:
    """Flags answering `values` by key (one variant each), with scripted failure draws."""
    provider = InMemoryProvider(
        {key: InMemoryFlag(default_variant="v", variants={"v": v}) for key, v in values.items()}
    )
    return Flags(provider, domain=f"test-{next(_domains)}", chance=FlakyChance(list(draws)))


def fake_provider(
    tmp_path: Path, *, failure_rate: float = 0.0, draws: Iterable[float] = ()
) -> FastAPI:
    flags = flags_of({PAYMENT_PROVIDER_FAILURE_RATE.key: failure_rate}, draws=draws)
    settings = ProviderSettings(ledger=tmp_path / "ledger.sqlite3")
    return create_app(settings, ledger=Ledger(":memory:"), flags=flags, sleep=_no_wait)


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://provider")
