"""Failure injection is not part of a service: only a test-support module can install it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.support.consumer_faults import Faults
from workloads.shared.runtime import ServiceSettings

URL = SecretStr("postgresql://u:p@127.0.0.1:1/db")


def test_without_test_hooks_the_fault_variables_do_nothing_but_warn(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("CONVEYOR_TEST_HOOKS", raising=False)
    monkeypatch.setenv("FAULT_CRASH_AFTER_APPLY", "ProcessPayment")
    with caplog.at_level(logging.WARNING):
        assert ServiceSettings(database_url=URL).consumer_hooks() is None
    assert "FAULT_CRASH_AFTER_APPLY set without CONVEYOR_TEST_HOOKS: ignored" in caplog.text


def test_test_hooks_must_come_from_the_test_support_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONVEYOR_TEST_HOOKS", "os")
    with pytest.raises(ValueError, match=r"only tests\.support\.\* modules"):
        ServiceSettings(database_url=URL).consumer_hooks()


def test_the_e2e_fault_hooks_read_the_fault_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CONVEYOR_TEST_HOOKS", "tests.support.consumer_faults")
    monkeypatch.setenv("FAULT_FAIL_EVENT_TYPES", "ProcessPayment,ReserveInventory")
    monkeypatch.setenv("FAULT_CRASH_AFTER_APPLY", "RefundPayment")
    monkeypatch.setenv("FAULT_CRASH_MARKER", str(tmp_path / "marker"))
    monkeypatch.setenv("DATABASE_URL", URL.get_secret_value())
    hooks = ServiceSettings(database_url=URL).consumer_hooks()
    assert hooks == Faults(
        fail_event_types=frozenset({"ProcessPayment", "ReserveInventory"}),
        crash_after_apply="RefundPayment",
        crash_marker=tmp_path / "marker",
        database_url=URL.get_secret_value(),
    )
