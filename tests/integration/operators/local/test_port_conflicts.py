"""A port held by someone else is a clear error naming the port and the setting that moves it."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from rich.console import Console

from operators.local.servers import Redis, ServerError, ServerState
from operators.local.settings import LocalStackSettings


def test_port_in_use_by_another_process_is_reported(tmp_path: Path, quiet: Console) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        settings = LocalStackSettings(state_dir=tmp_path, redis_port=port)
        redis = Redis(settings)
        with pytest.raises(ServerError, match=rf"port {port}.*CONVEYOR_REDIS_PORT"):
            redis.start(quiet)
        assert redis.status().state is ServerState.PORT_TAKEN
        assert redis.process.pid() is None, "no process may be recorded for a failed start"
