"""The wrapper module that lets k8s.io/kubernetes be built from the Go module proxy."""

from __future__ import annotations

import pytest

from operators.local.kube.binaries import (
    BuildError,
    staging_version,
    version_ldflags,
    wrapper_go_mod,
)

UPSTREAM = """module k8s.io/kubernetes

go 1.24.0

require (
\tgithub.com/spf13/cobra v1.9.1
\tk8s.io/api v0.0.0
)

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
\tk8s.io/client-go => ./staging/src/k8s.io/client-go
\tk8s.io/api => ./staging/src/k8s.io/api
\tgithub.com/some/fork => github.com/other/fork v1.0.0
)
"""


def test_every_staging_module_is_pinned_to_its_published_twin() -> None:
    mod = wrapper_go_mod(UPSTREAM, "v1.34.4")
    assert "require k8s.io/kubernetes v1.34.4" in mod
    assert "\tk8s.io/api => k8s.io/api v0.34.4\n" in mod
    assert "\tk8s.io/client-go => k8s.io/client-go v0.34.4\n" in mod
    assert mod.count("k8s.io/api =>") == 1
    assert "github.com/some/fork" not in mod


def test_a_go_mod_without_staging_modules_is_refused() -> None:
    with pytest.raises(BuildError, match="no staging modules"):
        wrapper_go_mod("module k8s.io/kubernetes\n", "v1.34.4")


@pytest.mark.parametrize("version", ["1.34.4", "v2.0.0", "v1.34", "v1.34.4-rc.1"])
def test_only_release_versions_are_accepted(version: str) -> None:
    with pytest.raises(BuildError, match="not a Kubernetes release"):
        staging_version(version)


def test_binaries_report_the_release_they_were_built_from() -> None:
    flags = version_ldflags("v1.34.4")
    assert "-X k8s.io/component-base/version.gitVersion=v1.34.4" in flags
    assert "-X k8s.io/component-base/version.gitMinor=34" in flags
