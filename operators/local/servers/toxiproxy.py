"""Toxiproxy, the TCP proxy the chaos suite puts between a service and a server, as a server.

Built once from its Go module (operators/local/faults/toxiproxy_build.py) and cached; started on
demand by the chaos suite, not by `conveyor local up` (ADR 0026): nothing else needs it, and a
proxy in nobody's path only costs a process. Its API listens on loopback at
`CONVEYOR_TOXIPROXY_PORT`; its proxies (kafka, postgres, payment-provider) listen on the next three
ports of the chaos bridge's address (operators/local/faults/routes.py), so a service inside the
suite's network namespace reaches them too. `conveyor local down` stops it like any server.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from http import HTTPStatus

from rich.console import Console

from operators.local.faults.toxiproxy_build import ToxiproxyBinaries, ToxiproxyBuildError
from operators.local.installs import Requirement
from operators.local.servers.base import Server, ServerError

TOXIC_SEED = 1  # toxicity draws repeat from run to run


class Toxiproxy(Server):
    name = "toxiproxy"

    @property
    def port(self) -> int:
        return self.settings.toxiproxy_port

    @property
    def port_setting(self) -> str:
        return "CONVEYOR_TOXIPROXY_PORT"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    @property
    def binaries(self) -> ToxiproxyBinaries:
        return ToxiproxyBinaries(
            cache_dir=self.settings.cache_dir, version=self.settings.toxiproxy_version
        )

    def requirements(self) -> list[Requirement]:
        return []  # Go, checked (with the fix named) when the binary is built

    def prepare(self, console: Console) -> None:
        self.ensure_dir(self.dir)
        try:
            self.binaries.ensure(console)
        except ToxiproxyBuildError as exc:
            raise ServerError(str(exc)) from exc

    def command(self) -> list[str]:
        return [
            str(self.binaries.path("toxiproxy-server")),
            "-host",
            self.settings.host,
            "-port",
            str(self.port),
            "-seed",
            str(TOXIC_SEED),
        ]

    def probe(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/version", timeout=1) as response:  # noqa: S310
                return bool(response.status == HTTPStatus.OK)
        except (urllib.error.URLError, OSError):
            return False
