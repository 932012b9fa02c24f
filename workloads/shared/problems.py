"""RFC 9457 problem details: the only error shape any Conveyor HTTP endpoint returns.

Validation errors are 422 (400 for JSON that does not parse), oversized bodies 413, and anything
unexpected a 500 that says nothing about internals; the full error goes to the log with the
correlation id, so the two can be matched (the edge middleware, `edge.py`, does that part).

Routes declare the problems they may answer with `responses=problem_responses(...)`; the shape is
`ProblemDetails`, added to each app's OpenAPI components by `install`.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException

from workloads.shared.telemetry import correlation_id

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


_SCHEMA_REF = "#/components/schemas/{model}"


class FieldProblem(BaseModel):
    """One reason a request did not match its schema (`errors` of a 422)."""

    location: str
    message: str
    type: str


class ProblemDetails(BaseModel):
    """The problem document, as OpenAPI shows it; `problem()` below writes it."""

    model_config = ConfigDict(extra="allow")  # a problem may add members, e.g. `unknown`
    type: str
    title: str
    status: int
    detail: str
    correlation_id: str
    errors: list[FieldProblem] | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route or router: each status answered with a problem document."""
    ref = {"$ref": _SCHEMA_REF.format(model=ProblemDetails.__name__)}
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": ref}},
        }
        for status in statuses
    }


class ProblemError(Exception):
    """Raise from a handler to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        headers: dict[str, str] | None = None,  # e.g. Retry-After on a 429 or 503
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra
        self.headers = headers


def problem(
    status: int,
    title: str,
    detail: str = "",
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": f"https://conveyor.dev/problems/{title.lower().replace(' ', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "correlation_id": correlation_id.get(),
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install(app: FastAPI) -> None:
    """Answer every error with a problem document, and describe that shape in OpenAPI."""
    _document_problems(app)

    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, headers=exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"location": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "type": e["type"]}
            for e in exc.errors()
        ]
        if any(e["type"] == "json_invalid" for e in errors):
            return problem(400, "Malformed JSON", "The request body is not valid JSON.")
        return problem(
            422, "Invalid request", "The request does not match the schema.", errors=errors
        )

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), "")

    # The edge middleware (edge.py) answers unexpected errors inside the request's correlation
    # scope; this is the last resort for an error escaping the edge itself.
    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "Internal error", "Something went wrong; quote the correlation id.")


def _document_problems(app: FastAPI) -> None:
    _, schemas = models_json_schema([(ProblemDetails, "serialization")], ref_template=_SCHEMA_REF)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()  # built once and cached by FastAPI; adding again changes nothing
        document.setdefault("components", {}).setdefault("schemas", {}).update(schemas["$defs"])
        return document

    app.openapi = openapi  # type: ignore[method-assign]
