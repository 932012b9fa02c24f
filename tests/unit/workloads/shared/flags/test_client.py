"""Flags evaluate from the file in-process, follow it while the process runs, and never raise."""

from __future__ import annotations

import asyncio
from pathlib import Path

from prometheus_client import REGISTRY

from tests.support.eventually import eventually_sync
from tests.support.fake_provider import flags_of
from workloads.shared.flags.client import Flags
from workloads.shared.flags.document import FlagsDocument
from workloads.shared.flags.latency import InjectedLatency
from workloads.shared.flags.names import CONFIRMATION_V2, INVENTORY_ERROR_RATE, LATENCY

ROLLOUT = {
    "variants": {"on": True, "off": False},
    "defaultVariant": "off",
    "targeting": {
        "fractional": [
            {"cat": [{"var": "$flagd.flagKey"}, {"var": "targetingKey"}]},
            ["on", 20],
            ["off", 80],
        ]
    },
}


def _write(path: Path, document: FlagsDocument) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(document.to_json())
    tmp.replace(path)


def test_a_changed_file_is_seen_without_reopening(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    _write(path, FlagsDocument().with_value(INVENTORY_ERROR_RATE.key, "0"))
    flags = Flags.from_file(path, domain="test-reload", poll_ms=20)
    try:
        assert flags.number(INVENTORY_ERROR_RATE) == 0.0
        _write(path, FlagsDocument().with_value(INVENTORY_ERROR_RATE.key, "0.75"))

        def changed() -> None:
            assert flags.number(INVENTORY_ERROR_RATE) == 0.75

        eventually_sync(changed, within_s=20)
        path.write_text("{ not json")  # a damaged file keeps the last good flags
        assert flags.number(INVENTORY_ERROR_RATE) == 0.75
    finally:
        flags.close()


def test_metrics_show_the_value_each_number_flag_evaluates_to_now(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    _write(path, FlagsDocument().with_value(INVENTORY_ERROR_RATE.key, "1"))
    flags = Flags.from_file(path, domain="test-export", poll_ms=20)
    flags.export()

    def shown(flag: str) -> float | None:
        return REGISTRY.get_sample_value("conveyor_flag_value", {"flag": flag})

    try:
        assert shown(INVENTORY_ERROR_RATE.key) == 1.0
        assert shown(LATENCY["order"].key) == 0.0  # not in the file: its default
        assert shown(CONFIRMATION_V2.key) is None  # a boolean flag is not a number
        _write(path, FlagsDocument().with_value(INVENTORY_ERROR_RATE.key, "0.25"))

        def followed() -> None:
            assert shown(INVENTORY_ERROR_RATE.key) == 0.25

        eventually_sync(followed, within_s=20)
    finally:
        flags.close()


def test_a_fractional_rollout_picks_a_stable_share_of_customers(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    document = FlagsDocument.model_validate({"flags": {CONFIRMATION_V2.key: ROLLOUT}})
    _write(path, document)
    flags = Flags.from_file(path, domain="test-rollout", poll_ms=1000)
    try:
        picked = [flags.enabled(CONFIRMATION_V2, targeting_key=f"c-{i}") for i in range(1000)]
        assert 150 <= sum(picked) <= 250  # about a fifth
        again = [flags.enabled(CONFIRMATION_V2, targeting_key=f"c-{i}") for i in range(1000)]
        assert again == picked  # one customer, one answer
    finally:
        flags.close()


def test_without_a_file_every_flag_is_its_default() -> None:
    flags = Flags.from_file(None, domain="test-none")
    assert flags.number(INVENTORY_ERROR_RATE) == 0.0
    assert not flags.happens(INVENTORY_ERROR_RATE)
    assert not flags.enabled(CONFIRMATION_V2, targeting_key="c-1")


def test_a_missing_file_starts_with_defaults_and_applies_once_it_appears(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    flags = Flags.from_file(path, domain="test-missing", poll_ms=20)
    try:
        assert flags.number(INVENTORY_ERROR_RATE) == 0.0
        _write(path, FlagsDocument().with_value(INVENTORY_ERROR_RATE.key, "1"))

        def applied() -> None:
            assert flags.happens(INVENTORY_ERROR_RATE)

        eventually_sync(applied, within_s=20)
    finally:
        flags.close()


def test_injected_latency_delays_api_requests_but_never_probes() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def app(scope: object, receive: object, send: object) -> None:
        return None

    flags = flags_of({LATENCY["order"].key: 250})
    middleware = InjectedLatency(app, flags=flags, service="order", sleep=sleep)
    for path in ("/v1/orders", "/health/ready", "/metrics"):
        asyncio.run(middleware({"type": "http", "path": path}, None, None))  # type: ignore[arg-type]
    assert slept == [0.25]
