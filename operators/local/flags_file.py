"""The local stack's flags file: written from the pipeline by `up`, changed by `conveyor flags`.

Every local process (services and the fake card provider) reads `.local/flags/flags.json` through
its flagd provider and sees a change within a poll period, without a restart. Writes are atomic
(a temporary file in the same folder, flushed, then renamed over the old one), so a reader sees
the old document or the new one, never half of one; a document that fails validation is never
written. `up` rewrites the file from the pipeline, so a `flags set` lasts until the next `up`.
"""

from __future__ import annotations

import os
from pathlib import Path

from operators.local.settings import LocalStackSettings
from operators.pipeline import flags
from operators.pipeline.spec import FAILURE_INJECTION_REFUSED, OrderPipelineSpec
from workloads.shared.flags.document import FlagsDocument
from workloads.shared.flags.names import injects_failures


class FlagsFileError(ValueError):
    """The flags file cannot be read or the change is refused; the message names the fix."""


def location(settings: LocalStackSettings) -> Path:
    return settings.state_dir / "flags" / flags.FLAGS_KEY


def read(path: Path) -> FlagsDocument:
    """The document in the file (an empty one when there is no file yet)."""
    if not path.exists():
        return FlagsDocument()
    try:
        return FlagsDocument.parse(path.read_text())
    except ValueError as exc:
        raise FlagsFileError(f"{path}: not a valid flags file ({exc}); `conveyor local up` "
                             "rewrites it from the pipeline") from exc  # fmt: skip


def write(path: Path, document: FlagsDocument) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w") as handle:
        handle.write(document.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def write_from_pipeline(path: Path, spec: OrderPipelineSpec) -> None:
    write(path, flags.document(spec))


def set_flag(path: Path, name: str, value: str, *, spec: OrderPipelineSpec) -> FlagsDocument:
    """Set one flag's default value in the file (see FlagsDocument.with_value); returns it.

    The stack's pipeline decides whether failure injection is allowed: a production pipeline
    without `allowFailureInjection` refuses a `fault.*` flag here as it does in its own file.
    """
    production = spec.environment == "production" and not spec.allow_failure_injection
    if injects_failures(name) and production:
        raise FlagsFileError(f"flags.{name}: {FAILURE_INJECTION_REFUSED}")
    try:
        changed = read(path).with_value(name, value)
    except FlagsFileError:
        raise
    except ValueError as exc:
        raise FlagsFileError(_first_line(exc)) from exc
    write(path, changed)
    return changed


def _first_line(exc: ValueError) -> str:
    text = str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("Value error, "):
            return line.removeprefix("Value error, ").split(" [type=")[0]
    return lines[0] if lines else text
