"""The gateway's routing and defences, against stand-in upstream processes it must survive."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx

from tests.e2e.workloads.gateway.conftest import Bench
from tests.support.eventually import eventually, eventually_sync
from tests.support.upstream_stub import LEAK

RETRY = {
    "policy": "t", "maxRetries": 3, "backoff": "constant", "initialInterval": "10ms",
    "maxInterval": "10ms", "initialIntervalSeconds": 0.01, "maxIntervalSeconds": 0.01,
}  # fmt: skip
BREAKER = {
    "policy": "b", "maxConsecutiveFailures": 3, "timeout": "60s", "halfOpenRequests": 1,
    "timeoutSeconds": 60,
}  # fmt: skip


def _problem(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert LEAK not in answer.text
    return body


def test_paths_go_to_the_workload_the_catalogue_names_and_others_are_refused(
    bench: Bench,
) -> None:
    bench.stub("catalog")
    bench.stub("identity")
    gateway = bench.gateway()
    assert httpx.get(f"{gateway}/v1/products?q=x").json()["replica"] == "catalog-0"
    assert httpx.get(f"{gateway}/v1/categories").json()["replica"] == "catalog-0"
    assert httpx.post(f"{gateway}/v1/auth/login").json()["replica"] == "identity-0"
    _problem(httpx.get(f"{gateway}/v1/nothing-here"), 404)
    # a write the table keeps for admins is refused without a token, and never reaches upstream
    _problem(httpx.put(f"{gateway}/v1/products/p-1", json={}), 401)
    assert "PUT /v1/products/p-1" not in bench.calls(bench.stubs["catalog"][0])


def test_round_robin_alternates_over_two_replicas(bench: Bench) -> None:
    bench.stub("catalog", replicas=2)
    gateway = bench.gateway(BALANCING="round_robin")
    served = Counter(httpx.get(f"{gateway}/v1/featured").json()["replica"] for _ in range(10))
    assert served == {"catalog-0": 5, "catalog-1": 5}


async def test_least_outstanding_sends_new_calls_away_from_a_busy_replica(bench: Bench) -> None:
    bench.stub("catalog", replicas=2)
    gateway = bench.gateway(BALANCING="least_outstanding")
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as http:
        slow = asyncio.ensure_future(http.get("/v1/products?delay=4"))

        async def slow_call_in_flight() -> None:
            counts = [bench.calls(u).get("GET /v1/products", 0) for u in bench.stubs["catalog"]]
            assert sum(counts) == 1, "the slow call has not reached a replica yet"

        await eventually(slow_call_in_flight, within_s=20)
        quick = [(await http.get("/v1/featured")).json()["replica"] for _ in range(6)]
        busy = (await slow).json()["replica"]
    assert busy not in quick, f"{quick} went to the replica busy with the slow call"


def test_a_killed_replica_fails_no_request_and_is_taken_out(bench: Bench) -> None:
    bench.stub("catalog", replicas=2)
    gateway = bench.gateway(HEALTH_INTERVAL_S="30")  # only the failed connection can tell
    assert {httpx.get(f"{gateway}/v1/featured").json()["replica"] for _ in range(4)} == {
        "catalog-0", "catalog-1",
    }  # fmt: skip
    bench.kill("catalog-0")
    answers = [httpx.get(f"{gateway}/v1/featured") for _ in range(20)]
    assert [a.status_code for a in answers] == [200] * 20
    assert {a.json()["replica"] for a in answers} == {"catalog-1"}
    ready = httpx.get(f"{gateway}/health/ready").json()
    assert ready["healthy_replicas"]["catalog"] == 1


def test_the_breaker_opens_on_a_failing_upstream_and_no_error_text_leaks(bench: Bench) -> None:
    bench.stub("catalog")
    gateway = bench.gateway(resiliency={"catalog": {"circuitBreaker": BREAKER}})
    for _ in range(3):
        body = _problem(httpx.get(f"{gateway}/v1/products?status=500"), 502)
        assert "catalog" in body["detail"]
    refused = httpx.get(f"{gateway}/v1/products")
    assert _problem(refused, 503)["title"] == "Upstream unavailable"
    assert int(refused.headers["retry-after"]) >= 1
    assert bench.calls(bench.stubs["catalog"][0]) == {"GET /v1/products": 3}


async def test_the_bulkhead_refuses_after_its_short_wait_when_an_upstream_stays_saturated(
    bench: Bench,
) -> None:
    bench.stub("catalog")
    bench.stub("identity")
    gateway = bench.gateway(BULKHEAD_MAX_CONCURRENT="2", BULKHEAD_MAX_WAIT_S="0.25")
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as http:
        slow = [asyncio.ensure_future(http.get("/v1/products?delay=4")) for _ in range(2)]

        async def saturated() -> None:
            assert bench.calls(bench.stubs["catalog"][0]).get("GET /v1/products") == 2

        await eventually(saturated, within_s=20)
        refused = await http.get("/v1/categories")
        other = await http.get("/v1/auth/keys")  # another upstream is not affected
        finished = await asyncio.gather(*slow)
    assert _problem(refused, 503)["title"] == "Upstream busy"
    assert refused.headers["retry-after"] == "1"
    assert other.status_code == 200
    assert [f.status_code for f in finished] == [200, 200]


async def test_a_call_that_finds_the_bulkhead_full_is_served_when_a_slot_frees_in_time(
    bench: Bench,
) -> None:
    (catalog,) = bench.stub("catalog")
    bench.stub("identity")
    gateway = bench.gateway(BULKHEAD_MAX_CONCURRENT="2", BULKHEAD_MAX_WAIT_S="10")
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as http:
        slow = [asyncio.ensure_future(http.get("/v1/products?delay=1")) for _ in range(2)]

        async def saturated() -> None:
            assert bench.calls(catalog).get("GET /v1/products") == 2

        await eventually(saturated, within_s=20)
        waited = await http.get("/v1/categories")  # no slot now; one frees within a second
        finished = await asyncio.gather(*slow)
    assert waited.status_code == 200
    assert [f.status_code for f in finished] == [200, 200]
    assert bench.calls(catalog).get("GET /v1/categories") == 1


def test_only_idempotent_calls_are_retried(bench: Bench) -> None:
    (identity,) = bench.stub("identity")
    gateway = bench.gateway(resiliency={"identity": {"retry": RETRY}})
    _problem(httpx.get(f"{gateway}/v1/auth/a?status=503"), 502)
    _problem(httpx.post(f"{gateway}/v1/auth/b?status=503"), 502)
    keyed = httpx.post(f"{gateway}/v1/auth/c?status=503", headers={"Idempotency-Key": "k-1"})
    _problem(keyed, 502)
    assert bench.calls(identity) == {
        "GET /v1/auth/a": 3,  # three tries (maxRetries 3)
        "POST /v1/auth/b": 1,  # not idempotent: once
        "POST /v1/auth/c": 3,  # an Idempotency-Key makes it safe to repeat
    }


def test_a_slow_upstream_times_out_with_a_problem(bench: Bench) -> None:
    bench.stub("catalog")
    timeout = {"policy": "fast", "duration": "500ms", "seconds": 0.5}
    gateway = bench.gateway(resiliency={"catalog": {"timeout": timeout}})
    assert _problem(httpx.get(f"{gateway}/v1/products?delay=3", timeout=30), 504)


def test_a_client_over_its_rate_limit_is_told_when_to_come_back(bench: Bench) -> None:
    bench.stub("catalog")
    gateway = bench.gateway(RATE_LIMIT_REQUESTS="3", RATE_LIMIT_WINDOW_S="30")
    assert [httpx.get(f"{gateway}/v1/featured").status_code for _ in range(3)] == [200] * 3
    limited = httpx.get(f"{gateway}/v1/featured")
    assert _problem(limited, 429)["title"] == "Too many requests"
    assert 1 <= int(limited.headers["retry-after"]) <= 30


def test_a_replica_added_to_the_registry_is_probed_into_rotation(bench: Bench) -> None:
    bench.stub("catalog")
    gateway = bench.gateway()
    bench.stub("catalog")  # a second replica, then the runner's registry rewrite
    bench.publish()

    def both_serve() -> None:
        seen = {httpx.get(f"{gateway}/v1/featured").json()["replica"] for _ in range(4)}
        assert len(seen) == 2, seen

    eventually_sync(both_serve, within_s=20)
