"""Grafana's dashboard schema as a ready validator, for the tests that check dashboards with it.

Generated on first use from the pinned `@grafana/schema` (operators/dashboards/schema.py); a tool
that is missing or fails makes the test fail with the command to rerun, never skip.
"""

from __future__ import annotations

import pytest
from jsonschema import validators
from jsonschema.protocols import Validator

from operators.dashboards import schema


def dashboard_validator() -> Validator:
    try:
        document = schema.dashboard_schema()
    except schema.SchemaToolError as error:
        pytest.fail(str(error))
    cls = validators.validator_for(document)
    cls.check_schema(document)
    checker: Validator = cls(document)
    return checker
