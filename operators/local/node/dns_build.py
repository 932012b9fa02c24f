"""Build the node's CoreDNS from operators/local/node/coredns/ once, into the cache.

No CoreDNS binary may be downloaded here, but the Go module proxy serves CoreDNS and every module
it needs. The module in operators/local/node/coredns/ (main.go with only the plugins the cluster
uses, go.mod and go.sum pinning every dependency) is compiled into the cache folder, outside the
repository, under CoreDNS's version and a digest of those three files: a changed source builds
anew, an unchanged one never again. A stamp written last marks a complete build, so an
interrupted one is redone. The compile runs under `nice -n 10` (about 1.5 min of both cores when
the modules are cached, a few minutes more to download them on a new machine). A failed build
raises `DnsBuildError` with the last lines of its log.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time
from pathlib import Path

from rich.console import Console

from operators.local.go_toolchain import find_go
from operators.paths import REPO_ROOT

SOURCE = REPO_ROOT / "operators" / "local" / "node" / "coredns"
FILES = ("main.go", "go.mod", "go.sum")
MIN_GO = (1, 26)


class DnsBuildError(RuntimeError):
    """CoreDNS could not be built; the message says what to do."""


def coredns_version(go_mod: str) -> str:
    """The CoreDNS release go.mod requires (e.g. v1.15.0)."""
    found = re.search(r"^require github\.com/coredns/coredns (v\d+\.\d+\.\d+)$", go_mod, re.M)
    if found is None:
        raise DnsBuildError(f"{SOURCE / 'go.mod'}: no `require github.com/coredns/coredns vX.Y.Z`")
    return found.group(1)


def _go() -> str:
    return find_go(
        MIN_GO, purpose="the node's CoreDNS (cluster DNS, ADR 0057)", error=DnsBuildError
    )


class CoreDnsBinary:
    """CoreDNS built from the module in the repository, in the cache."""

    def __init__(self, *, cache_dir: Path, source: Path = SOURCE) -> None:
        contents = {name: (source / name).read_bytes() for name in FILES}
        self.version = coredns_version(contents["go.mod"].decode())
        digest = hashlib.sha256(b"".join(contents[name] for name in FILES)).hexdigest()[:12]
        self.root = cache_dir / "coredns" / f"{self.version}-{digest}"
        self._contents = contents
        self._stamp = self.root / ".complete"

    @property
    def path(self) -> Path:
        return self.root / "coredns"

    def built(self) -> bool:
        return self._stamp.exists() and self.path.exists()

    def ensure(self, console: Console) -> Path:
        """Build CoreDNS unless a complete build of this source is cached; returns the binary."""
        if self.built():
            return self.path
        go = _go()
        began = time.monotonic()
        source = self.root / "src"
        source.mkdir(parents=True, exist_ok=True)
        for name, content in self._contents.items():
            (source / name).write_bytes(content)
        log = self.root / "build.log"
        # -mod=readonly: go.sum must already hold every module; nothing is resolved anew.
        env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=readonly -buildvcs=false"}
        argv = ["nice", "-n", "10", go, "build", "-trimpath", "-ldflags=-s -w"]
        argv += ["-o", str(self.path)]
        status = f"  building CoreDNS {self.version} (once; minutes on 2 cores)…"
        with console.status(status), log.open("w") as handle:
            handle.write(f"$ {' '.join(argv)}\n")
            handle.flush()
            result = subprocess.run(
                argv, cwd=source, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False
            )
        if result.returncode != 0:
            tail = "\n".join(f"    {line}" for line in log.read_text().splitlines()[-25:])
            raise DnsBuildError(f"building CoreDNS failed; last lines of {log}:\n{tail}")
        self._stamp.write_text(f"{self.version}\n")
        console.print(
            f"  [green]✓[/] CoreDNS {self.version} built in {time.monotonic() - began:.0f} s"
        )
        return self.path
