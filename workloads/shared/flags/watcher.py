"""Follow the flags file by its content: reload whenever its bytes change, whatever its mtime says.

flagd's own `FileWatcher` reloads only when the file's modification time is strictly later than
the one it recorded, so it misses a change for good (until a later write) when the new file's
mtime is equal (two writes within one timestamp tick of a coarse filesystem), earlier (the wall
clock stepped back; a copy that keeps mtimes), or when the file is replaced between its first
read and the stat that follows (the mtime recorded is newer than the content loaded). Each is a
test in tests/unit/workloads/shared/flags/test_watcher.py, and each fails with flagd's watcher.

This watcher reads the whole file every `poll_s` (it is a few kilobytes) and loads it when its
SHA-256 differs from the content in force. Guarantee: within one poll after the file's content
changes, the flags evaluated are the new content's (or, if it is invalid, still the last good).
Failure behaviour: a missing, unreadable or invalid file leaves the last good flags in force; it
is logged and counted once per distinct bad content (`conveyor_flags_file_reload_errors_total`)
and looked at again every poll. Nothing a poll meets stops the polling thread: an unexpected
error is logged, counted, and the next poll comes. Every load is counted
(`conveyor_flags_file_reloads_total`), the first one included.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openfeature.contrib.provider.flagd import FlagdProvider
from openfeature.contrib.provider.flagd.config import ResolverType
from openfeature.contrib.provider.flagd.resolvers import AbstractResolver, InProcessResolver
from openfeature.contrib.provider.flagd.resolvers.process.connector import FlagStateConnector
from openfeature.contrib.provider.flagd.resolvers.process.flags import FlagStore
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEventDetails
from openfeature.exception import ErrorCode, ProviderNotReadyError

from workloads.shared import metrics

log = logging.getLogger(__name__)

ReadyEmitter = Callable[[ProviderEventDetails, dict[str, Any]], None]
ErrorEmitter = Callable[[ProviderEventDetails], None]


class ContentWatcher(FlagStateConnector):
    """Loads `path` into the flagd flag store at start and whenever its content changes."""

    def __init__(
        self,
        path: Path,
        store: FlagStore,
        *,
        poll_s: float,
        emit_ready: ReadyEmitter,
        emit_error: ErrorEmitter,
    ) -> None:
        self.path = path
        self.store = store
        self.poll_s = poll_s
        self._emit_ready = emit_ready
        self._emit_error = emit_error
        self._loaded: str | None = None  # the digest of the content in force
        self._refused: str | None = None  # what the last poll refused (digest or read error)
        self.problem = ""  # why, in words
        self._stopped = threading.Event()

    def initialize(self, evaluation_context: EvaluationContext) -> None:
        """Load the file now (ProviderNotReadyError if it cannot be), then follow it."""
        self._stopped.clear()
        loaded = self.poll()
        threading.Thread(target=self._follow, name="flags-file-watcher", daemon=True).start()
        if not loaded:
            raise ProviderNotReadyError(f"flags file {self.path} {self.problem}")

    def shutdown(self) -> None:
        self._stopped.set()

    def _follow(self) -> None:
        while not self._stopped.wait(self.poll_s):
            try:
                self.poll()
            except Exception:  # the next poll must come whatever this one met
                log.exception("flags file %s: unexpected error while polling", self.path)
                metrics.flags_reload_errors.labels(reason="unexpected").inc()

    def poll(self) -> bool:
        """Load the file if its content changed; False while it is missing or invalid."""
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            return self._refuse(f"unreadable ({exc.strerror or exc})", reason="unreadable")
        digest = hashlib.sha256(raw).hexdigest()
        if digest != self._loaded:
            if digest == self._refused:
                return False
            try:
                self.store.update(json.loads(raw))
            except Exception as exc:  # flagd raises several types for a file not in its format
                return self._refuse(f"invalid ({exc})", reason="invalid", digest=digest)
            self._loaded = digest
            metrics.flags_reloads.inc()
            log.info("flags file %s loaded (sha256 %s)", self.path, digest[:12])
        if self._refused is not None:  # valid again (new content, or the last good one back)
            self._refused, self.problem = None, ""
            self._emit_ready(ProviderEventDetails(message="flags file valid again"), {})
        return True

    def _refuse(self, problem: str, *, reason: str, digest: str | None = None) -> bool:
        seen = digest or problem
        if seen != self._refused:  # once per distinct bad content, not once per poll
            self._refused, self.problem = seen, problem
            metrics.flags_reload_errors.labels(reason=reason).inc()
            log.error("flags file %s %s: the last good flags stay in force", self.path, problem)
            details = ProviderEventDetails(message=problem, error_code=ErrorCode.PARSE_ERROR)
            self._emit_error(details)
        return False


class FlagsFileProvider(FlagdProvider):
    """flagd's in-process provider (its evaluation, targeting and rollouts) over a ContentWatcher.

    flagd builds its resolver with its own mtime `FileWatcher`; this swaps in the watcher above
    before anything starts (the provider's `initialize` starts the connector).
    """

    def __init__(self, path: Path, *, poll_s: float) -> None:
        self.path = path
        self.poll_s = poll_s
        super().__init__(resolver_type=ResolverType.FILE, offline_flag_source_path=str(path))

    def setup_resolver(self) -> AbstractResolver:
        resolver = InProcessResolver(
            self.config,
            self.emit_provider_ready_with_context,
            self.emit_provider_error,
            self.emit_provider_stale,
            self.emit_provider_configuration_changed,
        )
        resolver.connector = ContentWatcher(
            self.path,
            resolver.flag_store,
            poll_s=self.poll_s,
            emit_ready=self.emit_provider_ready_with_context,
            emit_error=self.emit_provider_error,
        )
        return resolver
