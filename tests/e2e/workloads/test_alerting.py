"""A real failure pages through the whole chain and resolves when it is gone.

The card provider starts failing 90 % of calls (its admin API, as an operator of the running
system would see it happen). The payment service retries round after round, so confirmed orders
take longer than the checkout latency objective's 5 s; the order service's saga histogram records
it, the local Prometheus scrapes it, evaluates the SLO rules and sends the page to the local
Alertmanager, whose API (`/api/v2/alerts`) this test reads. Then the provider is healed, and the
page must leave Alertmanager's list of active alerts.

The rules are the time-compressed copy the local Prometheus loads beside the real ones (same specs,
same generator, every window and `for:` divided by 12, labelled `speedup="12"`; ADR 0028): the
real 1h/5m page would need an hour of history to judge. Orders are placed while waiting (two a
second, one per poll), because a burn rate needs traffic.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from operators.local.servers.prometheus import SPEEDUP
from operators.local.stack import LocalStack
from tests.e2e.workloads.provider_tools import behave
from tests.e2e.workloads.saga_client import SagaClient
from tests.support.eventually import eventually

PAGE = "CheckoutLatencyBurnRatePage"
# Firing takes ~1-2 min of bad traffic and resolving ~1 min (measured 3 min in all); each wait is
# bounded at 4 min, so the test gets more than the suite's 300 s default.
pytestmark = pytest.mark.timeout(600)


@pytest.fixture
async def healed_provider(stack: LocalStack) -> AsyncIterator[LocalStack]:
    yield stack
    await behave(stack)


async def _pages(client: SagaClient) -> list[dict[str, Any]]:
    """The page, as Alertmanager lists it among its active alerts (the compressed rules' copy)."""
    response = await client.http.get(
        f"{client.stack.alertmanager.url}/api/v2/alerts",
        params=[("filter", f'alertname="{PAGE}"'), ("filter", f'speedup="{SPEEDUP}"')],
    )
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()
    return found


async def test_a_failing_card_provider_pages_checkout_latency_then_resolves(
    client: SagaClient, healed_provider: LocalStack
) -> None:
    stack = healed_provider
    product = await client.seed(available=100_000)
    assert await _pages(client) == [], "the page fires before the failure"

    await behave(stack, failure_rate=0.9)

    async def paged() -> dict[str, Any]:
        await client.place_ok(product)
        pages = await _pages(client)
        assert pages, f"{PAGE} is not firing in Alertmanager yet"
        return pages[0]

    page = await eventually(paged, within_s=240, every_s=0.5)
    assert page["status"]["state"] == "active"
    assert page["labels"]["severity"] == "page"
    assert page["labels"]["slo"] == "latency"
    assert page["annotations"]["runbook_url"] == f"docs/runbooks/{PAGE}.md"

    await behave(stack)  # the cause removed: the provider answers every call again

    async def resolved() -> None:
        await client.place_ok(product)
        pages = await _pages(client)
        assert pages == [], f"{PAGE} still firing: {pages[0]['startsAt'] if pages else ''}"

    await eventually(resolved, within_s=240, every_s=0.5)
