"""What the API fuzz checks, apart from the fuzzing: problem documents and a state digest.

`TARGETS` names each document the fuzzer reads. The gateway's target reads the merged document
and guards every service's database; it admits only identity's JWTs, so its calls carry an admin's
access token (`admin_access_token`: an admin registered with the stack's admin token, logged in)
where the services' own calls carry the stack's admin token. Its examples per operation are fewer
(`examples`): the merged document holds every service's operations, and an access token lives
five minutes.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from operators.local.stack import LocalStack

PROBLEM_JSON = "application/problem+json"
SEED = 20261202  # fixed: a failure replays exactly
# Per operation and mode: about five minutes for every service; raise it for a deeper search.
MAX_EXAMPLES = int(os.environ.get("CONVEYOR_FUZZ_EXAMPLES", "25"))


@dataclass(frozen=True)
class Target:
    name: str  # a workload of the stack, whose URL the runner knows
    databases: tuple[str, ...]  # whose state no refused request may change
    openapi: str = "/openapi.json"
    jwt: bool = False  # the target admits identity's access tokens only (the gateway)
    examples: int = MAX_EXAMPLES

    def url(self, stack: LocalStack) -> str:
        return stack.workloads.url(self.name)


TARGETS = (
    Target("order", ("order",)),
    Target("inventory", ("inventory",)),
    Target("payment", ("payment",)),
    Target("notification", ("notification",)),
    Target("catalog", ("catalog",)),
    Target(
        "gateway",
        ("order", "inventory", "payment", "notification", "catalog", "shipping"),
        jwt=True,
        examples=min(MAX_EXAMPLES, 8),
    ),
)

# State that changes without a request: consumers' inbox claims, the outbox the relay drains,
# the migrations ledger, the read model projection's checkpoint.
_VOLATILE = {"outbox", "inbox", "schema_migrations", "processed_events", "projection_checkpoints"}


def admin_access_token(stack: LocalStack) -> str:
    """An access token of a new admin, registered and logged in at identity itself."""
    identity = stack.workloads.url("identity")
    account = {"email": f"fuzz-{uuid.uuid4().hex[:12]}@example.com", "password": uuid.uuid4().hex}
    with httpx.Client(timeout=30) as http:
        made = http.post(f"{identity}/v1/users", json={**account, "role": "admin"},
                         headers={"Authorization": f"Bearer {stack.admin_token()}"})  # fmt: skip
        made.raise_for_status()
        login = http.post(f"{identity}/v1/auth/login", json=account)
        login.raise_for_status()
        token: str = login.json()["access_token"]
        return token


def problem_errors(status: int, content_type: str, body: Any) -> list[str]:
    """Why an error answer is not an RFC 9457 problem document (empty when it is)."""
    if status < 400:
        return []
    errors = []
    if content_type.split(";", maxsplit=1)[0].strip() != PROBLEM_JSON:
        errors.append(f"{status} answered as {content_type!r}, not {PROBLEM_JSON}")
    if not isinstance(body, dict):
        return [*errors, f"{status} body is not a JSON object"]
    if body.get("status") != status:
        errors.append(f"problem status {body.get('status')!r} is not the answer's {status}")
    if not body.get("title"):
        errors.append("problem without a title")
    return errors


async def digest(stack: LocalStack, databases: tuple[str, ...]) -> dict[str, str]:
    """A hash of every durable table's rows, by database.table (volatile tables left out)."""
    found: dict[str, str] = {}
    for database in databases:
        conn = await asyncpg.connect(stack.postgres.dsn(database))
        try:
            tables = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
            for row in tables:
                table = row["tablename"]
                if table in _VOLATILE:
                    continue
                # The table name comes from pg_tables, never from input.
                rows = "coalesce(string_agg(t::text, chr(10) ORDER BY t::text), '')"
                query = f'SELECT {rows} FROM "{table}" t'  # noqa: S608
                text = await conn.fetchval(query)
                found[f"{database}.{table}"] = hashlib.sha256(str(text).encode()).hexdigest()
        finally:
            await conn.close()
    return found
