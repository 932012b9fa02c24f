"""The Go toolchain the project's builds from the Go module proxy use (Helm, the OpenTelemetry
Collector, CoreDNS): `go` on PATH, at a minimum version.

`find_go` returns the command, or raises the caller's own error type with what to install and
what it is for, so each build keeps the error its callers catch.
"""

from __future__ import annotations

import re
import shutil
import subprocess


def find_go(minimum: tuple[int, int], *, purpose: str, error: type[RuntimeError]) -> str:
    """`go` if it is on PATH and at least `minimum`; `error` naming `purpose` otherwise."""
    go = shutil.which("go")
    if go is None:
        raise error(
            f"Go {minimum[0]}.{minimum[1]}+ is needed to build {purpose}; "
            "install it and make sure `go` is on PATH."
        )
    out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=True)
    found = re.match(r"go(\d+)\.(\d+)", out.stdout.strip())
    if found is None or (int(found.group(1)), int(found.group(2))) < minimum:
        raise error(f"Go {out.stdout.strip()} is too old to build {purpose}; need {minimum}+")
    return go
