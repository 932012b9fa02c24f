"""The database-owners Job: rendered only with master credentials, one URL per database owner."""

from __future__ import annotations

from typing import Any

from operators.pipeline import topology
from operators.pipeline.render import render_children
from operators.pipeline.spec import OrderPipeline, OrderPipelineSpec
from tests.unit.operators.pipeline.crd_schema import example
from tests.unit.operators.pipeline.rendering import by_kind, owner_of, pipeline

MASTER = {"name": "conveyor-postgres-master", "key": "url"}


def _spec(name: str = "local", *, drop: tuple[str, ...] = ()) -> OrderPipelineSpec:
    raw = example(name)
    raw["spec"]["postgres"]["masterSecretRef"] = MASTER
    for workload in drop:
        del raw["spec"]["workloads"][workload]
    return OrderPipeline.model_validate(raw).spec


def _jobs(spec: OrderPipelineSpec, name: str = "local") -> dict[str, dict[str, Any]]:
    objects = render_children(owner_of(pipeline(name)), spec, prometheus_operator=False)
    return by_kind(objects, "Job")


def test_without_master_credentials_there_is_no_job() -> None:
    assert _jobs(pipeline("local").spec) == {}


def test_the_job_gets_the_master_url_and_each_database_owners_url_from_the_pipelines_secret() -> (
    None
):
    [job] = _jobs(_spec()).values()
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "-m", "workloads.shared.database_owners"]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
    owners = sorted(set(pipeline("local").spec.workloads) & topology.DATABASE_OWNERS)
    assert refs == {
        "MASTER_DATABASE_URL": MASTER,
        **{f"DATABASE_URL_{w.upper()}": {"name": "conveyor-postgres", "key": w} for w in owners},
    }
    assert "gateway" not in owners
    assert "DATABASE_URL_GATEWAY" not in refs


def test_the_job_runs_locked_down_and_is_owned_by_the_pipeline() -> None:
    [job] = _jobs(_spec()).values()
    pod = job["spec"]["template"]["spec"]
    context = pod["containers"][0]["securityContext"]
    assert context["runAsNonRoot"]
    assert context["readOnlyRootFilesystem"]
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert pod["automountServiceAccountToken"] is False
    assert pod["restartPolicy"] == "OnFailure"
    assert job["metadata"]["ownerReferences"][0]["kind"] == "OrderPipeline"


def test_a_changed_set_of_owners_gets_a_new_job_name_as_a_jobs_template_is_immutable() -> None:
    [before] = _jobs(_spec())
    [after] = _jobs(_spec(drop=("shipping",)))
    assert before != after
    assert before.startswith("conveyor-database-owners-")
    assert list(_jobs(_spec())) == [before]  # deterministic


def test_every_workload_container_says_which_workload_the_services_image_runs() -> None:
    for name, deployment in by_kind(
        render_children(owner_of(pipeline("local")), _spec(), prometheus_operator=False),
        "Deployment",
    ).items():
        workload = name.removeprefix("conveyor-")
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == ["python", "-m", f"workloads.{workload}"]
