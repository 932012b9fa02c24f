"""The shared collector configuration gets every variable it reads, on the laptop and a cluster."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conveyor_platform.observability import COLLECTOR_ENV

from operators.local.collector_build import (
    CONFIG,
    MANIFEST,
    CollectorBinary,
    CollectorBuildError,
    build_manifest,
    release,
)
from operators.local.servers import Collector
from operators.local.settings import LocalStackSettings

READ = set(re.findall(r"\$\{env:([A-Z0-9_]+)\}", CONFIG.read_text()))


def test_the_local_runner_sets_every_variable_the_configuration_reads() -> None:
    env = Collector(LocalStackSettings(otlp_http_port=23318, zipkin_port=23411)).environment()
    assert sorted(READ - env.keys()) == []
    assert env["CONVEYOR_OTELCOL_HTTP_ENDPOINT"] == "127.0.0.1:23318"
    assert env["CONVEYOR_ZIPKIN_ENDPOINT"] == "http://127.0.0.1:23411/api/v2/spans"
    assert env["CONVEYOR_TRACE_KEEP_PERCENT"] == "100"  # locally, every trace is kept


def test_the_cluster_release_sets_every_variable_the_configuration_reads() -> None:
    assert sorted(READ - COLLECTOR_ENV.keys()) == []
    assert float(COLLECTOR_ENV["CONVEYOR_TRACE_KEEP_PERCENT"]) < 100


def test_the_sampling_keeps_errors_and_slow_sagas_before_a_share_of_the_rest() -> None:
    sampling = yaml.safe_load(CONFIG.read_text())["processors"]["tail_sampling"]
    kinds = [policy["type"] for policy in sampling["policies"]]
    assert kinds == ["status_code", "latency", "probabilistic"]
    assert sampling["policies"][0]["status_code"]["status_codes"] == ["ERROR"]


def test_one_release_for_every_collector_module() -> None:
    manifest = MANIFEST.read_text()
    version = release(manifest)
    pinned = set(re.findall(r"gomod: \S+ v(\S+)", manifest))
    assert pinned == {version}


def test_the_build_lands_in_a_folder_per_release_and_manifest(tmp_path: Path) -> None:
    binary = CollectorBinary(cache_dir=tmp_path)
    assert binary.root.parent == tmp_path / "otelcol"
    assert binary.root.name.startswith(f"{binary.version}-")
    assert not binary.built()
    out = yaml.safe_load(build_manifest(MANIFEST.read_text(), tmp_path / "src"))
    assert out["dist"]["output_path"] == str(tmp_path / "src")


def test_a_manifest_without_a_release_is_refused() -> None:
    with pytest.raises(CollectorBuildError, match=r"dist\.version"):
        release("dist:\n  name: x\n")
