"""The fake card provider (operators/local/fakes/payment_provider) as a server of the stack.

It is started, probed and stopped like PostgreSQL or Redis; its ledger lives in its folder under
the state directory, so charges survive a restart of the provider and are wiped with the stack's
state. Its latency and failures are the stack's flags (`fault.payment-provider.*`, flags file).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from http import HTTPStatus

from rich.console import Console

from operators.local import flags_file
from operators.local.installs import Requirement
from operators.local.secrets import read_or_create
from operators.local.servers.base import Server
from operators.paths import REPO_ROOT


class PaymentProvider(Server):
    name = "payment-provider"

    @property
    def port(self) -> int:
        return self.settings.payment_provider_port

    @property
    def port_setting(self) -> str:
        return "CONVEYOR_PAYMENT_PROVIDER_PORT"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def requirements(self) -> list[Requirement]:
        return []  # Python and the tooling's packages, already here

    def prepare(self, console: Console) -> None:
        self.ensure_dir(self.dir)
        read_or_create(self.settings.secrets_dir / "admin-token")

    def command(self) -> list[str]:
        return [sys.executable, "-m", "operators.local.fakes.payment_provider"]

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "PAYMENT_PROVIDER_HOST": self.settings.host,
            "PAYMENT_PROVIDER_PORT": str(self.port),
            "PAYMENT_PROVIDER_LEDGER": str(self.dir / "ledger.sqlite3"),
            "PAYMENT_PROVIDER_FLAGS_FILE": str(flags_file.location(self.settings)),
        }

    def probe(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=1) as response:  # noqa: S310
                return bool(response.status == HTTPStatus.OK)
        except (urllib.error.URLError, OSError):
            return False
