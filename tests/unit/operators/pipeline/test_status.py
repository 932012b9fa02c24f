"""Status: honest phase and conditions from what the cluster reports, stable transition times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest

from operators.pipeline.spec import OrderPipelineSpec
from operators.pipeline.status import WorkloadObservation, compute_status
from tests.unit.operators.pipeline.crd_schema import as_json_schema, openapi_schema
from tests.unit.operators.pipeline.rendering import pipeline, spec_with

T0 = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
NAMES = (
    "catalog",
    "gateway",
    "identity",
    "inventory",
    "notification",
    "order",
    "payment",
    "shipping",
)


def seen(desired: int, ready: int, *, updated: int | None = None, stuck: bool = False) -> Any:
    return WorkloadObservation(
        desired=desired,
        ready=ready,
        updated=desired if updated is None else updated,
        available=ready,
        exists=True,
        progress_deadline_exceeded=stuck,
    )


ALL_READY = {name: seen(1, 1) for name in NAMES}


def status(
    observed: dict[str, WorkloadObservation],
    *,
    spec: OrderPipelineSpec | None = None,
    generation: int = 1,
    previous: list[dict[str, Any]] | None = None,
    now: datetime = T0,
    error: str | None = None,
) -> dict[str, Any]:
    return compute_status(
        spec=spec or pipeline("local").spec,
        name="conveyor",
        generation=generation,
        observed=observed,
        previous_conditions=previous or [],
        now=now,
        error=error,
    )


def conditions(body: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in body["conditions"]}


def test_all_ready_is_ready() -> None:
    body = status(ALL_READY)
    assert body["phase"] == "Ready"
    assert conditions(body) == {
        "Ready": ("True", "AllWorkloadsReady"),
        "Progressing": ("False", "RolloutComplete"),
        "Degraded": ("False", "AsExpected"),
    }
    assert body["ready"] == f"{len(NAMES)}/{len(NAMES)}"
    assert body["observedGeneration"] == 1
    assert body["replicas"] == 1
    assert (
        body["selector"] == "app.kubernetes.io/instance=conveyor,app.kubernetes.io/part-of=conveyor"
    )


def test_nothing_created_yet_is_pending() -> None:
    body = status({})
    assert body["phase"] == "Pending"
    assert conditions(body)["Progressing"] == ("True", "CreatingChildren")
    assert body["ready"] == f"0/{len(NAMES)}"  # desired from the spec's bounds while missing


def test_some_children_missing_is_progressing() -> None:
    body = status({**ALL_READY, "payment": WorkloadObservation(0, 0, 0, 0, exists=False)})
    assert body["phase"] == "Progressing"
    assert conditions(body)["Ready"] == ("False", "WorkloadsNotReady")
    assert "payment (missing)" in body["conditions"][0]["message"]


def test_pods_starting_is_progressing_not_degraded() -> None:
    body = status({**ALL_READY, "order": seen(2, 0)})
    assert body["phase"] == "Progressing"
    assert conditions(body)["Progressing"] == ("True", "RolloutInProgress")
    assert conditions(body)["Degraded"] == ("False", "AsExpected")


def test_a_stuck_rollout_is_degraded() -> None:
    body = status({**ALL_READY, "order": seen(2, 0, stuck=True)})
    assert body["phase"] == "Degraded"
    assert conditions(body)["Degraded"] == ("True", "ProgressDeadlineExceeded")
    assert conditions(body)["Progressing"] == ("False", "ProgressDeadlineExceeded")
    assert "order 0/2" in body["conditions"][2]["message"]


def test_losing_pods_after_being_ready_is_degraded() -> None:
    ready = status(ALL_READY)
    body = status({**ALL_READY, "payment": seen(1, 0)}, previous=ready["conditions"])
    assert body["phase"] == "Degraded"
    assert conditions(body)["Degraded"] == ("True", "ReplicasUnavailable")


def test_a_new_generation_rolling_out_is_progressing_even_after_ready() -> None:
    ready = status(ALL_READY)
    body = status(
        {**ALL_READY, "payment": seen(1, 0, updated=0)}, generation=2, previous=ready["conditions"]
    )
    assert body["phase"] == "Progressing"
    assert body["observedGeneration"] == 2
    assert all(c["observedGeneration"] == 2 for c in body["conditions"])


def test_an_error_fails_the_pipeline_and_says_why() -> None:
    body = status(ALL_READY, error="Deployment conveyor-order: forbidden")
    assert body["phase"] == "Failed"
    assert conditions(body)["Degraded"] == ("True", "ReconcileFailed")
    assert body["conditions"][2]["message"] == "Deployment conveyor-order: forbidden"


def test_paused_pipelines_say_so() -> None:
    body = status(ALL_READY, spec=spec_with("local", paused=True))
    assert body["phase"] == "Paused"
    assert conditions(body)["Progressing"] == ("False", "Paused")
    assert conditions(body)["Ready"] == ("True", "AllWorkloadsReady")


def test_transition_time_is_kept_while_the_status_holds() -> None:
    first = status(ALL_READY)
    later = status(ALL_READY, previous=first["conditions"], now=T0 + timedelta(minutes=5))
    assert [c["lastTransitionTime"] for c in later["conditions"]] == ["2026-11-22T10:00:00Z"] * 3


def test_transition_time_moves_when_the_status_flips() -> None:
    first = status(ALL_READY)
    later = status(
        {**ALL_READY, "order": seen(1, 0)},
        previous=first["conditions"],
        now=T0 + timedelta(minutes=5),
    )
    times = {c["type"]: c["lastTransitionTime"] for c in later["conditions"]}
    assert times == {
        "Ready": "2026-11-22T10:05:00Z",  # True -> False
        "Progressing": "2026-11-22T10:00:00Z",  # False -> False (RolloutComplete -> none)
        "Degraded": "2026-11-22T10:05:00Z",  # False -> True (lost pods)
    }


def test_per_workload_rows_and_totals() -> None:
    body = status({**ALL_READY, "order": seen(3, 2)}, spec=pipeline("local").spec)
    rows = {row["name"]: row for row in body["workloads"]}
    assert rows["order"] == {
        "name": "order",
        "desiredReplicas": 3,
        "readyReplicas": 2,
        "updatedReplicas": 3,
        "availableReplicas": 2,
    }
    assert [row["name"] for row in body["workloads"]] == sorted(NAMES)
    n = len(NAMES)  # one replica each, order at 2 of 3
    assert (body["readyReplicas"], body["desiredReplicas"]) == (n - 1 + 2, n - 1 + 3)


def test_conditions_carry_every_field_the_crd_declares() -> None:
    for condition in status(ALL_READY)["conditions"]:
        assert set(condition) == {
            "type",
            "status",
            "reason",
            "message",
            "lastTransitionTime",
            "observedGeneration",
        }
        assert condition["reason"][0].isupper()
        assert " " not in condition["reason"]


def test_naive_clocks_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        status(ALL_READY, now=datetime(2026, 11, 22))


def test_the_status_fits_the_crds_status_schema() -> None:
    schema = as_json_schema(openapi_schema()["properties"]["status"])
    for body in (status(ALL_READY), status({}), status(ALL_READY, error="boom")):
        jsonschema.validate(body, schema)
