"""Start-up objects leave the garbage collector's scans (heap.freeze_startup_objects)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from workloads.shared import heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
def test_what_survives_start_up_is_frozen_and_no_longer_scanned() -> None:
    built_at_start = [{"n": n} for n in range(50_000)]  # long-lived, like a service's modules
    scanned_before = len(gc.get_objects())
    frozen = heap.freeze_startup_objects()
    assert frozen == gc.get_freeze_count() >= len(built_at_start)
    assert len(gc.get_objects()) < scanned_before - len(built_at_start)
