"""The catalogue's `secrets` are exactly what each service refuses to start without.

A workload's settings class (workloads/<name>/settings.py) marks a secret as required by giving
a `SecretStr` field no default; the operator supplies the connection ones itself (DATABASE_URL,
REDIS_URL: operators/pipeline/spec.py RESERVED_ENV). What is left must be declared in
workloads/catalogue.py, because the pipeline model refuses a pipeline that does not give those
from a Secret (and the platform's pipeline generates them), so a pod never crash-loops on one.
"""

from __future__ import annotations

import importlib

import pytest
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from operators.pipeline.spec import RESERVED_ENV
from workloads.catalogue import WORKLOADS, Workload


def _settings_class(workload: Workload) -> type[BaseSettings]:
    module = importlib.import_module(f"workloads.{workload.name}.settings")
    (found,) = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseSettings)
        and value.__module__ == module.__name__
    ]
    return found


def _required_secrets(settings: type[BaseSettings]) -> set[str]:
    return {
        (field.alias or name).upper()
        for name, field in settings.model_fields.items()
        if field.annotation is SecretStr and field.is_required()
    }


@pytest.mark.parametrize("workload", [w for w in WORKLOADS if w.runnable], ids=lambda w: w.name)
def test_declared_secrets_are_the_required_ones_the_operator_does_not_set(
    workload: Workload,
) -> None:
    required = _required_secrets(_settings_class(workload)) - set(RESERVED_ENV)
    assert set(workload.secrets) == required, (
        f"workloads/catalogue.py: {workload.name} secrets={sorted(workload.secrets)}, "
        f"but its settings require {sorted(required)} from a Secret"
    )
