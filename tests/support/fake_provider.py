"""The fake card provider in-process, for unit tests: an ASGI transport, a ledger in memory.

`FlakyChance` scripts the provider's failure draws, so a test says "fail, then answer" instead of
hoping for a random number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fastapi import FastAPI

from operators.local.fakes.payment_provider.app import create_app
from operators.local.fakes.payment_provider.ledger import Ledger
from operators.local.fakes.payment_provider.settings import ProviderSettings

ADMIN = "test-admin-token"


@dataclass
class FlakyChance:
    """Returns the scripted draws in order, then 1.0 (below no failure rate short of 1)."""

    draws: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.draws.pop(0) if self.draws else 1.0


async def _no_wait(_: float) -> None:
    return None


def fake_provider(
    tmp_path: Path, *, failure_rate: float = 0.0, draws: Iterable[float] = ()
) -> FastAPI:
    token = tmp_path / "admin-token"
    token.write_text(ADMIN)
    settings = ProviderSettings(admin_token_file=token, failure_rate=failure_rate)
    return create_app(
        settings, ledger=Ledger(":memory:"), chance=FlakyChance(list(draws)), sleep=_no_wait
    )


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://provider")
