"""Bad input, generated from each service's OpenAPI document (schemathesis, fixed seed).

For every operation, positive cases (valid by the schema) and negative ones (violating it) are
sent to the running service. Every answer must be: no 5xx; an error is a problem+json document
with its own status; a declared status with a body matching its declared schema. Separately, a
batch of requests the service refuses must leave its database exactly as it was: a refused
request changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from operators.local.stack import LocalStack
from tests.e2e.api.fuzzing import (
    MAX_EXAMPLES,
    SEED,
    TARGETS,
    Target,
    admin_access_token,
    digest,
    problem_errors,
)

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
FUZZ = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,  # with the seed below: the same cases every run
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
)


def _schema(stack: LocalStack, target: Target) -> Any:
    return schemathesis.openapi.from_url(f"{target.url(stack)}{target.openapi}")


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def _auth(stack: LocalStack, target: Target) -> dict[str, str]:
    token = admin_access_token(stack) if target.jwt else stack.admin_token()
    return {"Authorization": f"Bearer {token}"}


def _fuzz(
    operation: Any, mode: GenerationMode, send: Callable[[Any], None], *, examples: int
) -> None:
    @hypothesis.seed(SEED)
    @hypothesis.settings(FUZZ, max_examples=examples)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        send(case)

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # nothing in the operation can be made invalid


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_no_input_gets_a_5xx_and_every_answer_keeps_its_contract(
    stack: LocalStack, target: Target
) -> None:
    schema = _schema(stack, target)
    base_url = target.url(stack)
    failures: list[str] = []
    headers = _auth(stack, target)

    def send(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        where = f"{case.method} {case.formatted_path} -> {response.status_code}"
        try:
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )
        except Exception as exc:  # schemathesis raises a group of check failures
            failures.append(f"{where}: {exc}"[:600])
        try:
            body = response.json()
        except ValueError:
            body = None
        content_type = response.headers.get("content-type", [""])
        if isinstance(content_type, list):
            content_type = content_type[0] if content_type else ""
        failures.extend(
            f"{where}: {e}" for e in problem_errors(response.status_code, content_type, body)
        )

    for operation in _operations(schema):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, send, examples=target.examples)
    assert not failures, f"{len(failures)} bad answers:\n" + "\n".join(sorted(set(failures))[:40])


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_a_refused_request_changes_no_state(stack: LocalStack, target: Target) -> None:
    schema = _schema(stack, target)
    base_url = target.url(stack)
    accepted: list[str] = []
    headers = _auth(stack, target)
    before = asyncio.run(digest(stack, target.databases))

    def send(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        if response.status_code < 300:
            accepted.append(f"{case.method} {case.formatted_path} {case.body!r}"[:300])

    writes = [op for op in _operations(schema) if op.method.upper() in WRITES]
    for operation in writes:
        _fuzz(operation, GenerationMode.NEGATIVE, send, examples=target.examples)
    after = asyncio.run(digest(stack, target.databases))
    changed = sorted(table for table in after if after[table] != before.get(table))
    assert not accepted, "requests that break the schema were accepted:\n" + "\n".join(accepted)
    assert not changed, f"refused requests changed {changed}"
