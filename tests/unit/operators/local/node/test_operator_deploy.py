"""The operator's manifests for the local node: the committed ones, with only the image changed."""

from __future__ import annotations

from typing import Any

import yaml

from operators.local.node.operator_deploy import DEPLOY_DIR, rendered

PINNED = "localhost/conveyor-operator@sha256:" + "ab" * 32


def _committed() -> list[dict[str, Any]]:
    return [
        d
        for path in sorted(DEPLOY_DIR.glob("*.yaml"))
        for d in yaml.safe_load_all(path.read_text())
        if d
    ]


def _deployment(objects: list[dict[str, Any]]) -> dict[str, Any]:
    [deployment] = [o for o in objects if o["kind"] == "Deployment"]
    return deployment


def test_the_local_image_by_digest_is_run_and_never_pulled() -> None:
    pod = _deployment(rendered(PINNED))["spec"]["template"]["spec"]
    assert [(c["image"], c["imagePullPolicy"]) for c in pod["containers"]] == [(PINNED, "Never")]
    assert pod["hostAliases"] == [{"ip": "10.96.0.1", "hostnames": ["kubernetes.default.svc"]}]


def test_everything_else_is_applied_as_committed() -> None:
    local, committed = rendered(PINNED), _committed()
    assert [o for o in local if o["kind"] != "Deployment"] == [
        o for o in committed if o["kind"] != "Deployment"
    ]
    mine, theirs = _deployment(local)["spec"], _deployment(committed)["spec"]
    assert mine["template"]["spec"]["serviceAccountName"] == "conveyor-operator"
    for key in ("securityContext", "automountServiceAccountToken", "volumes"):
        assert mine["template"]["spec"][key] == theirs["template"]["spec"][key]
    [container], [original] = (
        mine["template"]["spec"]["containers"],
        theirs["template"]["spec"]["containers"],
    )
    ignored = {"image", "imagePullPolicy"}
    assert {k: v for k, v in container.items() if k not in ignored} == {
        k: v for k, v in original.items() if k not in ignored
    }


def test_the_committed_manifest_still_names_a_registry_image_by_digest() -> None:
    [container] = _deployment(_committed())["spec"]["template"]["spec"]["containers"]
    assert "@sha256:" in container["image"]
    assert not container["image"].startswith("localhost/")
