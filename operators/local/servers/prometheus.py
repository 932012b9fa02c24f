"""Prometheus from Debian's package, scraping the local stack with a config the runner writes.

It loads the SLO rules `conveyor slo generate` commits in observability/rules/ (ADR 0023) and the
hand-written alerts of observability/alerts/, read in place, so the local stack evaluates the same
recording rules and alerts a cluster does, every few seconds, and sends alerts to the local
Alertmanager. Beside them it loads a copy rendered by the same generator from the same specs with
every window and `for:` divided by SPEEDUP and the label `speedup="12"` (ADR 0028): a burn-rate
page that takes an hour of real traffic to judge fires and resolves here within minutes, so it can
be seen working end to end. The config, and with it every rule file, is checked with `promtool
check config` before every start, so a bad scrape target or rule fails the start with promtool's
own message instead of a crash loop.
"""

from __future__ import annotations

import json
import signal
import subprocess
import urllib.error
import urllib.request
from http import HTTPStatus
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from operators.local.installs import Requirement, binary
from operators.local.servers.base import Server, ServerError
from operators.pipeline.services import WORKLOAD_LABEL
from operators.pipeline.slos.files import ALERT_DIR, RULE_DIR, load, rendered

SPEEDUP = 12  # 1h/5m -> 300s/25s; 2m `for:` -> 10s


def target_groups(groups: dict[str, list[str]]) -> list[dict[str, Any]]:
    """`{workload: [host:port, …]}` -> file_sd target groups, each labelled by its workload (the
    label a cluster's ServiceMonitor sets by relabeling, operators/pipeline/services.py)."""
    return [{"targets": t, "labels": {WORKLOAD_LABEL: name}} for name, t in groups.items()]


class Prometheus(Server):
    name = "prometheus"
    stop_signal = signal.SIGTERM

    @property
    def port(self) -> int:
        return self.settings.prometheus_port

    @property
    def port_setting(self) -> str:
        return "CONVEYOR_PROMETHEUS_PORT"

    @property
    def config_file(self) -> Path:
        return self.dir / "prometheus.yml"

    def requirements(self) -> list[Requirement]:
        return [
            binary("prometheus", "Prometheus", "prometheus"),
            binary("promtool", "promtool", "prometheus"),
        ]

    @property
    def targets_file(self) -> Path:
        return self.dir / "workload-targets.json"

    def scrape_config(self) -> dict[str, object]:
        """Itself, plus every workload replica listed in a file the runner rewrites on changes;
        the SLO rules of observability/rules/; alerts to the local Alertmanager."""
        settings, host = self.settings, self.settings.host
        return {
            "global": {"scrape_interval": "5s", "evaluation_interval": "5s"},
            "rule_files": [
                str(RULE_DIR / "*.yaml"),
                str(ALERT_DIR / "*.yaml"),
                str(self.speedup_dir / "*.yaml"),
            ],
            "alerting": {
                "alertmanagers": [
                    {"static_configs": [{"targets": [f"{host}:{settings.alertmanager_port}"]}]}
                ]
            },
            "scrape_configs": [
                {"job_name": "prometheus", "static_configs": [{"targets": [self.address]}]},
                {
                    "job_name": "workloads",
                    "file_sd_configs": [
                        {"files": [str(self.targets_file)], "refresh_interval": "5s"}
                    ],
                },
            ],
        }

    @property
    def speedup_dir(self) -> Path:
        return self.dir / f"rules-speedup{SPEEDUP}"

    def write_speedup_rules(self) -> None:
        """The time-compressed copy of observability/rules/, from the specs, on every start."""
        self.speedup_dir.mkdir(parents=True, exist_ok=True)
        for old in self.speedup_dir.glob("*.yaml"):
            old.unlink()
        for name, text in rendered(load(), speedup=SPEEDUP).items():
            (self.speedup_dir / name).write_text(text, encoding="utf-8")

    def write_targets(self, groups: dict[str, list[str]]) -> None:
        """`{workload: [host:port, …]}` -> the file_sd target file, atomically replaced."""
        payload = target_groups(groups)
        tmp = self.targets_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload, indent=2))
        tmp.replace(self.targets_file)

    def prepare(self, console: Console) -> None:
        self.ensure_dir(self.dir / "data")
        if not self.targets_file.exists():
            self.write_targets({})
        self.write_speedup_rules()
        self.config_file.write_text(yaml.safe_dump(self.scrape_config(), sort_keys=False))
        result = subprocess.run(
            ["promtool", "check", "config", str(self.config_file)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ServerError(
                f"promtool rejected {self.config_file}:\n{result.stdout}{result.stderr}"
            )

    def command(self) -> list[str]:
        return [
            "prometheus",
            f"--config.file={self.config_file}",
            f"--storage.tsdb.path={self.dir / 'data'}",
            "--storage.tsdb.retention.time=2d",
            f"--web.listen-address={self.address}",
            "--web.enable-lifecycle",
            "--enable-feature=exemplar-storage",  # trace ids on histogram buckets
        ]

    def probe(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.address}/-/ready", timeout=1) as response:
                return bool(response.status == HTTPStatus.OK)
        except (urllib.error.URLError, OSError):
            return False
