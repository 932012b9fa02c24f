"""The observability files the cluster is given are read whole, and their absence is an error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conveyor_platform import manifests


def test_every_committed_dashboard_and_alert_file_is_read() -> None:
    dashboards = manifests.dashboards()
    assert sorted(dashboards) == sorted(p.name for p in manifests.DASHBOARDS_DIR.glob("*.json"))
    assert manifests.alert_rules().keys() == {p.stem for p in manifests.ALERTS_DIR.glob("*.yaml")}


@pytest.mark.parametrize("read", [manifests.dashboards, manifests.alert_rules])
def test_a_missing_folder_fails_naming_it(read: Callable[[Path], object], tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="nowhere"):
        read(missing)


def test_an_empty_dashboards_folder_fails_with_the_command_that_fills_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make dashboards"):
        manifests.dashboards(tmp_path)
