"""The deployables' images, really built with buildah from their Containerfiles (ADR 0032).

`conveyor images build` runs once for the module (seconds when the layers are cached; the first
build on a machine makes the Debian base with debootstrap, about two minutes). Each image is then
run with `buildah run`: it must run as a non-root user, import its entry modules with its own
interpreter, and hold no compiler, no uv and no apt lists or caches.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rich.console import Console

from operators.local.images.build import IMAGES, BuiltImage, ImageBuilder
from operators.local.settings import LocalStackSettings
from workloads.catalogue import WORKLOADS

SERVICE_ENTRIES = tuple(f"{w.module}.__main__" for w in WORKLOADS if w.module is not None)
ENTRY_MODULES = {
    "services": (*SERVICE_ENTRIES, "uvloop", "httptools"),
    "operator": ("operators.controller.__main__",),
}
BUILD_TOOLS = ("gcc", "cc", "c++", "make", "uv", "pip")
# Image builds (the first makes the Debian base with debootstrap) belong to `make test-cluster`.
pytestmark = [pytest.mark.node, pytest.mark.timeout(1800)]

CACHES = ("/var/lib/apt/lists", "/var/cache/apt", "/root/.cache")


@pytest.fixture(scope="module")
def builder() -> ImageBuilder:
    settings = LocalStackSettings()
    uv = os.environ.get("CONVEYOR_UV")
    if not uv:
        pytest.fail("CONVEYOR_UV is not set: run through `make test` / `make images`")
    return ImageBuilder(cache_dir=settings.cache_dir, state_dir=settings.state_dir, uv=Path(uv))


@pytest.fixture(scope="module")
def built(builder: ImageBuilder) -> dict[str, BuiltImage]:
    return {image.name: image for image in builder.build(Console(stderr=True))}


def test_every_deployable_has_a_containerfile_and_an_image(built: dict[str, BuiltImage]) -> None:
    assert set(built) == {spec.name for spec in IMAGES} == set(ENTRY_MODULES)
    for image in built.values():
        assert image.digest.startswith("sha256:")
        assert Path(image.archive).stat().st_size == image.size_bytes


@pytest.mark.parametrize("name", sorted(ENTRY_MODULES))
def test_an_image_runs_as_a_non_root_user(
    builder: ImageBuilder, built: dict[str, BuiltImage], name: str
) -> None:
    user = builder.buildah.user_of(built[name].ref)
    assert user, f"{name} names no user: it runs as root"
    assert user.split(":")[0] not in {"0", "root"}, f"{name} runs as {user}"
    result = builder.buildah.run_in(built[name].ref, ["id", "-u"])
    assert result.stdout.strip() not in {"", "0"}, result.stderr


@pytest.mark.parametrize("name", sorted(ENTRY_MODULES))
def test_an_image_imports_its_entry_modules(
    builder: ImageBuilder, built: dict[str, BuiltImage], name: str
) -> None:
    imports = "; ".join(f"import {module}" for module in ENTRY_MODULES[name])
    result = builder.buildah.run_in(built[name].ref, ["python", "-c", imports])
    assert result.returncode == 0, f"{name}: {result.stderr[-2000:]}"


@pytest.mark.parametrize("name", sorted(ENTRY_MODULES))
def test_an_image_holds_no_build_tools_or_package_caches(
    builder: ImageBuilder, built: dict[str, BuiltImage], name: str
) -> None:
    tools = " ".join(BUILD_TOOLS)
    caches = " ".join(CACHES)
    script = (
        f"for t in {tools}; do command -v $t; done; "
        f"for d in {caches}; do "
        "[ -d $d ] && find $d -type f ! -name lock; done; "
        "true"
    )
    # As root: the image's own user could not even list /root.
    result = builder.buildah.run_in(built[name].ref, ["sh", "-c", script], user="0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{name} holds build tools or caches:\n{result.stdout}"
