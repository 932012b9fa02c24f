"""Build Helm from its Go module, once per release, so the add-ons' charts can be rendered here.

No Helm download may be used here, but the Go module proxy serves `helm.sh/helm/v3`, whose
`cmd/helm` is the Helm command itself. `go install` puts it into the cache folder (outside the
repository) under the release, the way the collector and the Kubernetes binaries are cached; a
stamp file written last marks a complete build, so an interrupted build is redone and a complete
one is never redone. The compile runs under `nice -n 10`: it takes minutes of both cores.
Only `helm template` is used (rendering, no cluster): see ADR 0049.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from rich.console import Console

from operators.local.go_toolchain import find_go

# The Helm release that renders the vendored charts (platform/charts/); Helm 3, as Pulumi's
# kubernetes provider installs releases with the Helm 3 library.
HELM_VERSION = "v3.22.0"
MIN_GO = (1, 24)
_MINUTES_FROM_S = 90


class HelmBuildError(RuntimeError):
    """Helm could not be built; the message says what to do."""


def _go() -> str:
    return find_go(
        MIN_GO,
        purpose="Helm (it renders the add-on charts for the offline checks)",
        error=HelmBuildError,
    )


class HelmBinary:
    """`helm` of one release, built into the cache."""

    def __init__(self, *, cache_dir: Path, version: str = HELM_VERSION) -> None:
        self.version = version
        self.root = cache_dir / "helm" / version
        self._stamp = self.root / ".complete"

    @property
    def path(self) -> Path:
        return self.root / "bin" / "helm"

    def built(self) -> bool:
        return self._stamp.exists() and self.path.exists()

    def ensure(self, console: Console) -> Path:
        """Build Helm unless a complete build of this release is cached; raise if it fails."""
        if self.built():
            return self.path
        go = _go()
        began = time.monotonic()
        console.print(
            f"[bold]building Helm {self.version}[/] from the Go module proxy into {self.root} — "
            "once per release, several minutes on 2 cores"
        )
        self.root.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "GOBIN": str(self.root / "bin"), "CGO_ENABLED": "0"}
        env["GOFLAGS"] = "-buildvcs=false -trimpath"
        argv = ["nice", "-n", "10", go, "install", "-ldflags=-s -w"]
        argv.append(f"helm.sh/helm/v3/cmd/helm@{self.version}")
        log = self.root / "build.log"
        with console.status("  helm: go install…"), log.open("a") as handle:
            handle.write(f"$ {' '.join(argv)}\n")
            handle.flush()
            result = subprocess.run(
                argv, cwd=self.root, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False
            )
        if result.returncode != 0:
            tail = "\n".join(f"    {line}" for line in log.read_text().splitlines()[-25:])
            raise HelmBuildError(f"helm: go install failed; last lines of {log}:\n{tail}")
        self._stamp.write_text(f"{self.version}\n")
        console.print(f"  [green]✓[/] Helm {self.version} built in {_took(began)}")
        return self.path


def _took(began: float) -> str:
    seconds = time.monotonic() - began
    return f"{seconds / 60:.1f} min" if seconds >= _MINUTES_FROM_S else f"{seconds:.0f} s"
