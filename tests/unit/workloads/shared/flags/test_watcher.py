"""The flags file is followed by its content: no change is missed, whatever its mtime says.

Each scenario is a change flagd's own mtime watcher misses for good (the last test shows it
does, so the day it stops missing them this file says our watcher can go). Polls are called
directly: the watcher's thread is given an hour between polls, so nothing here waits.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openfeature.contrib.provider.flagd.config import Config, ResolverType
from openfeature.contrib.provider.flagd.resolvers.process.connector.file_watcher import (
    FileWatcher,
)
from openfeature.contrib.provider.flagd.resolvers.process.flags import FlagStore
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEventDetails
from openfeature.exception import ProviderNotReadyError
from prometheus_client import REGISTRY

from tests.support.eventually import eventually_sync
from workloads.shared.flags.watcher import ContentWatcher

HOUR_S = 3600.0
KEY = "fault.inventory.error-rate"


def _text(rate: float) -> str:
    flag = {"state": "ENABLED", "variants": {"v": rate}, "defaultVariant": "v"}
    return json.dumps({"flags": {KEY: flag}})


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _rate(store: FlagStore) -> float:
    flag = store.get_flag(KEY)
    assert flag is not None
    value: float = flag.variants["v"]
    return value


def _same_mtime(path: Path, text: str) -> None:
    """Two writes within one timestamp tick (a coarse filesystem): the mtime does not move."""
    before = path.stat().st_mtime_ns
    _write(path, text)
    os.utime(path, ns=(before, before))


def _earlier_mtime(path: Path, text: str) -> None:
    """The wall clock stepped back between two writes (or a copy kept an older mtime)."""
    before = path.stat().st_mtime_ns
    _write(path, text)
    os.utime(path, ns=(before - 10**9, before - 10**9))


Change = Callable[[Path, str], None]
CHANGES = [pytest.param(_same_mtime, id="same-mtime"), pytest.param(_earlier_mtime, id="earlier")]


def _ignore(*_: Any) -> None:
    return None


def _watcher(path: Path, store: FlagStore, **emitters: Any) -> ContentWatcher:
    emit_ready = emitters.get("emit_ready", _ignore)
    emit_error = emitters.get("emit_error", _ignore)
    return ContentWatcher(path, store, poll_s=HOUR_S, emit_ready=emit_ready, emit_error=emit_error)


def _errors(reason: str) -> float:
    labels = {"reason": reason}
    return REGISTRY.get_sample_value("conveyor_flags_file_reload_errors_total", labels) or 0.0


def _reloads() -> float:
    return REGISTRY.get_sample_value("conveyor_flags_file_reloads_total") or 0.0


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_is_loaded_whatever_its_mtime(tmp_path: Path, change: Change) -> None:
    path = tmp_path / "flags.json"
    _write(path, _text(1.0))
    store = FlagStore(_ignore)
    watcher = _watcher(path, store)
    watcher.initialize(EvaluationContext())
    try:
        assert _rate(store) == 1.0
        change(path, _text(0.0))
        assert watcher.poll()
        assert _rate(store) == 0.0
    finally:
        watcher.shutdown()


def _writes_during_the_first_load(path: Path) -> Callable[[ProviderEventDetails], None]:
    """A store callback that replaces the file while the first content is being loaded."""
    written: list[bool] = []

    def on_changed(_: ProviderEventDetails) -> None:
        if not written:
            written.append(True)
            _write(path, _text(0.0))

    return on_changed


def test_a_file_replaced_during_the_first_load_is_loaded_at_the_next_poll(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    _write(path, _text(1.0))
    store = FlagStore(_writes_during_the_first_load(path))
    watcher = _watcher(path, store)
    watcher.initialize(EvaluationContext())
    try:
        assert _rate(store) == 1.0  # what was read
        assert watcher.poll()
        assert _rate(store) == 0.0  # what the file says now
    finally:
        watcher.shutdown()


def test_a_bad_file_keeps_the_last_good_flags_and_counts_once(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    _write(path, _text(1.0))
    store = FlagStore(_ignore)
    errors: list[ProviderEventDetails] = []
    ready: list[ProviderEventDetails] = []
    watcher = _watcher(
        path, store, emit_error=errors.append, emit_ready=lambda d, _: ready.append(d)
    )
    watcher.initialize(EvaluationContext())
    try:
        invalid, reloads = _errors("invalid"), _reloads()
        _write(path, "{ not json")
        assert not watcher.poll()
        assert not watcher.poll()  # the same bad content: not counted, not logged again
        assert _rate(store) == 1.0
        assert (_errors("invalid") - invalid, len(errors)) == (1, 1)
        _write(path, _text(1.0))  # the last good content back: valid again, nothing to load
        assert watcher.poll()
        assert (_reloads() - reloads, len(ready)) == (0, 1)
        _write(path, _text(0.5))
        assert watcher.poll()
        assert (_rate(store), _reloads() - reloads, len(ready)) == (0.5, 1, 1)
    finally:
        watcher.shutdown()


def test_a_missing_file_is_not_ready_and_loads_once_it_appears(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    store = FlagStore(_ignore)
    watcher = _watcher(path, store)
    unreadable = _errors("unreadable")
    with pytest.raises(ProviderNotReadyError, match="unreadable"):
        watcher.initialize(EvaluationContext())
    try:
        assert not watcher.poll()
        assert _errors("unreadable") - unreadable == 1
        _write(path, _text(0.25))
        assert watcher.poll()
        assert _rate(store) == 0.25
    finally:
        watcher.shutdown()


def test_polling_goes_on_after_an_unexpected_error(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    _write(path, "{ not json")  # starts refused, so the next good file emits "ready"
    store = FlagStore(_ignore)
    failures = [RuntimeError("a ready handler broke")]

    def emit_ready(_: ProviderEventDetails, __: dict[str, Any]) -> None:
        if failures:
            raise failures.pop()

    watcher = ContentWatcher(path, store, poll_s=0.01, emit_ready=emit_ready, emit_error=_ignore)
    with pytest.raises(ProviderNotReadyError):
        watcher.initialize(EvaluationContext())
    unexpected = _errors("unexpected")
    try:
        _write(path, _text(0.5))  # loaded; then emitting "ready" raises, in the thread

        def counted() -> None:
            assert _errors("unexpected") - unexpected == 1

        eventually_sync(counted, within_s=20)
        _write(path, _text(0.75))

        def still_following() -> None:
            assert _rate(store) == 0.75

        eventually_sync(still_following, within_s=20)
    finally:
        watcher.shutdown()


def _flagd_watcher(path: Path, store: FlagStore) -> FileWatcher:
    config = Config(resolver=ResolverType.FILE, offline_flag_source_path=str(path))
    return FileWatcher(config, store, _ignore, _ignore)


@pytest.mark.parametrize("change", CHANGES)
def test_flagds_own_watcher_misses_these_changes(tmp_path: Path, change: Change) -> None:
    """Why watcher.py exists: if this fails, flagd follows such changes and ours can go."""
    path = tmp_path / "flags.json"
    _write(path, _text(1.0))
    store = FlagStore(_ignore)
    flagd = _flagd_watcher(path, store)
    flagd._load_data()  # what its initialize does, without its polling thread
    change(path, _text(0.0))
    flagd.safe_load_data()  # one of its polls
    assert _rate(store) == 1.0


def test_flagds_own_watcher_misses_a_file_replaced_during_its_first_load(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    _write(path, _text(1.0))
    store = FlagStore(_writes_during_the_first_load(path))
    flagd = _flagd_watcher(path, store)
    flagd._load_data()
    flagd.safe_load_data()
    assert _rate(store) == 1.0  # the file says 0.0 from now until a later write
