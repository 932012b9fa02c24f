"""A second build of an image with another digest, loaded into the node, for the rollout test.

`rebuilt` makes the second build: the image as built, with one label more (a fresh value each
run, so its manifest digest differs from the first build's), exported and loaded into the node's
containerd under its digest as `cluster up` loads the first; a failing step raises
`ImageBuildError` or `AssertionError` naming it.
"""

from __future__ import annotations

import uuid

from operators.local.images.build import BuiltImage, ImageBuilder, archive_digest
from operators.local.node.cluster import NodeCluster


def rebuilt(builder: ImageBuilder, cluster: NodeCluster, image: BuiltImage) -> str:
    """A second build of `image` with another digest, loaded into the node; its pinned ref."""
    log, buildah = builder.log, builder.buildah
    container = buildah.run(["from", "--pull-never", image.ref], log=log).strip()
    label = f"dev.conveyor.rebuild={uuid.uuid4().hex}"
    buildah.run(["config", "--label", label, container], log=log)
    repository = image.ref.rsplit(":", 1)[0]
    ref = f"{repository}:rebuilt"
    buildah.run(["commit", "--rm", container, ref], log=log)
    archive = builder.out_dir / f"{image.name}-rebuilt.tar"
    archive.unlink(missing_ok=True)
    buildah.run(["push", ref, f"oci-archive:{archive}:{ref}"], log=log)
    pinned = f"{repository}@{archive_digest(archive)}"
    assert pinned != image.pinned, "the second build has the first build's digest"
    for args in (["images", "import", str(archive)], ["images", "tag", "--force", ref, pinned]):
        result = cluster.containerd.ctr(["-n", "k8s.io", *args])
        assert result.returncode == 0, f"ctr {' '.join(args)}: {result.stderr}"
    return pinned
