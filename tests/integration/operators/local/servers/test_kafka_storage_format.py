"""Formatting KRaft storage with the real kafka-storage tool, whatever the random cluster id."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from operators.local.servers import kafka as kafka_server
from operators.local.settings import LocalStackSettings

# 16 bytes whose base64url encoding starts with '-': an argument parser would take it for a flag.
DASH_FIRST = bytes([0xF8]) + bytes(15)


def test_a_cluster_id_starting_with_a_dash_formats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster_id = kafka_server.kraft_cluster_id(DASH_FIRST)
    assert cluster_id.startswith("-")
    monkeypatch.setattr(kafka_server, "kraft_cluster_id", lambda: cluster_id)
    settings = LocalStackSettings(state_dir=tmp_path)
    server = kafka_server.Kafka(settings)
    server.prepare(Console(file=io.StringIO()))
    meta = (server.dir / "data" / "meta.properties").read_text()
    assert f"cluster.id={cluster_id}" in meta
