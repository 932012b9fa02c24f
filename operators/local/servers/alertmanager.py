"""Alertmanager from Debian's `prometheus-alertmanager`, the local Prometheus's alert receiver.

One node, its cluster (gossip) listener disabled, state under the stack's folder. Every alert is
routed to one receiver, `local`, with no integration: locally an alert "reaches someone" through
Alertmanager's UI and API (`/api/v2/alerts`), which the end-to-end alert test reads. Grouped by
alert name and SLO so one burning SLO is one notification group. The config is checked with
`amtool check-config` before every start; a refusal fails the start with amtool's own message.
"""

from __future__ import annotations

import signal
import subprocess
import urllib.error
import urllib.request
from http import HTTPStatus
from pathlib import Path

import yaml
from rich.console import Console

from operators.local.installs import Requirement, binary
from operators.local.servers.base import Server, ServerError

PACKAGE = "prometheus-alertmanager"


def routing_config() -> dict[str, object]:
    """Every alert to the `local` receiver, grouped by alert and SLO, re-sent every 4 h."""
    return {
        "route": {
            "receiver": "local",
            "group_by": ["alertname", "service", "slo"],
            "group_wait": "5s",
            "group_interval": "1m",
            "repeat_interval": "4h",
        },
        "receivers": [{"name": "local"}],
    }


class Alertmanager(Server):
    name = "alertmanager"
    stop_signal = signal.SIGTERM

    @property
    def port(self) -> int:
        return self.settings.alertmanager_port

    @property
    def port_setting(self) -> str:
        return "CONVEYOR_ALERTMANAGER_PORT"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    @property
    def config_file(self) -> Path:
        return self.dir / "alertmanager.yml"

    def requirements(self) -> list[Requirement]:
        return [
            binary("prometheus-alertmanager", "Alertmanager", PACKAGE),
            binary("amtool", "amtool", PACKAGE),
        ]

    def prepare(self, console: Console) -> None:
        self.ensure_dir(self.dir / "data")
        self.config_file.write_text(yaml.safe_dump(routing_config(), sort_keys=False))
        result = subprocess.run(
            ["amtool", "check-config", str(self.config_file)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ServerError(
                f"amtool rejected {self.config_file}:\n{result.stdout}{result.stderr}"
            )

    def command(self) -> list[str]:
        return [
            "prometheus-alertmanager",
            f"--config.file={self.config_file}",
            f"--storage.path={self.dir / 'data'}",
            f"--web.listen-address={self.address}",
            "--cluster.listen-address=",  # one node: no gossip port
        ]

    def probe(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as response:  # noqa: S310
                return bool(response.status == HTTPStatus.OK)
        except (urllib.error.URLError, OSError):
            return False
