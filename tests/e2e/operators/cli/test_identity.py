"""`conveyor identity create-admin`: an admin that logs in at the gateway and may write stock.

Nobody can register an admin through the gateway; the command makes one at identity with the
stack's admin token. The admin then logs in through the gateway like anyone else, and the
gateway lets its token write stock (a customer's may not). Making the same admin again is
refused with exit 1 and leaves the account as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from operators.local.stack import LocalStack
from tests.e2e.workloads.gateway.conftest import loopback_address

CONVEYOR = str(Path(sys.executable).parent / "conveyor")
PASSWORD = "an admin's long password"


def create_admin(email: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CONVEYOR, "identity", "create-admin", email],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "COLUMNS": "200", "CONVEYOR_ADMIN_PASSWORD": PASSWORD},
    )  # fmt: skip


async def test_an_admin_made_by_the_cli_logs_in_at_the_gateway_and_writes_stock(
    stack: LocalStack,
) -> None:
    email = f"admin-{uuid.uuid4().hex[:12]}@example.com"
    made = create_admin(email)
    assert made.returncode == 0, made.stdout + made.stderr
    assert PASSWORD not in made.stdout + made.stderr
    gateway = stack.workloads.url("gateway")
    transport = httpx.AsyncHTTPTransport(local_address=loopback_address())
    async with httpx.AsyncClient(timeout=30, transport=transport) as http:
        login = await http.post(
            f"{gateway}/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        level = {"available": 7, "price_cents": 1234}
        product = f"cli-admin-{uuid.uuid4().hex[:8]}"
        wrote = await http.put(
            f"{gateway}/v1/admin/inventory/{product}", json=level,
            headers={"Authorization": f"Bearer {token}"},
        )  # fmt: skip
        assert wrote.status_code == 200, wrote.text
    again = create_admin(email)
    assert again.returncode == 1
    assert "registered already" in again.stdout
