"""The local Alertmanager: its config passes amtool, and the local Prometheus sends to it.

amtool comes from Debian's `prometheus-alertmanager`, which `conveyor local up` installs.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml

from operators.local.servers.alertmanager import routing_config
from operators.local.stack import LocalStack
from tests.support.eventually import eventually_sync


def _check(config: dict[str, object], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    amtool = shutil.which("amtool")
    if amtool is None:
        pytest.fail("amtool is missing: sudo apt-get install prometheus-alertmanager (or make up)")
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return subprocess.run(
        [amtool, "check-config", str(path)], capture_output=True, text=True, check=False
    )


def test_the_routing_config_passes_amtool_check_config(tmp_path: Path) -> None:
    result = _check(routing_config(), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_amtool_refuses_a_route_to_an_unknown_receiver(tmp_path: Path) -> None:
    config = routing_config()
    config["receivers"] = [{"name": "somebody-else"}]
    result = _check(config, tmp_path)
    assert result.returncode != 0
    assert "local" in result.stdout + result.stderr


def test_the_local_prometheus_sends_alerts_to_the_local_alertmanager(stack: LocalStack) -> None:
    status = httpx.get(f"{stack.alertmanager.url}/api/v2/status", timeout=5).json()
    assert status["cluster"]["status"] == "disabled"  # one node, no gossip listener

    def active() -> list[str]:
        url = f"http://{stack.prometheus.address}/api/v1/alertmanagers"
        found = httpx.get(url, timeout=5).json()["data"]["activeAlertmanagers"]
        urls = [a["url"] for a in found]
        assert f"{stack.alertmanager.url}/api/v2/alerts" in urls, urls
        return urls

    eventually_sync(active, within_s=30, every_s=0.5)
