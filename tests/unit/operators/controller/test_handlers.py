"""The kopf registration: every handler, its resource and options, as the operator relies on."""

from __future__ import annotations

import kopf
from kopf._core.intents.handlers import TimerHandler  # kopf exports no public name for it

from operators.controller import handlers
from operators.controller.watched import CHILD_RESOURCES, MANAGED


def _registered() -> dict[str, list[object]]:
    registry = kopf.get_default_registry()
    found: dict[str, list[object]] = {}
    for handler in registry._activities.get_all_handlers():
        found.setdefault(str(handler.id), []).append(handler.activity)
    for part in (registry._watching, registry._changing, registry._spawning):
        for resource_handlers in part.get_all_handlers():
            found.setdefault(str(resource_handlers.id), []).append(resource_handlers.selector)
    return found


def test_every_handler_is_registered_once_under_its_id() -> None:
    registered = _registered()
    expected = {
        "configure",
        "close",
        "watch",
        "reconcile_on_change",
        "reconcile_on_change/spec",
        "resync",
        "autoscale_on_lag",
        "clean_up",
        "watch_seen",
        "topics",
        "topics/spec",
        "topics-resync",
    } | {f"repair-{plural}" for _, plural in CHILD_RESOURCES}
    assert set(registered) == expected
    # resume and create share an id; every other id belongs to exactly one registration
    shared = ("reconcile_on_change", "topics")
    assert all(len(registered[k]) == 2 for k in shared)
    assert all(len(v) == 1 for k, v in registered.items() if k not in shared)


def test_child_watches_select_only_managed_objects() -> None:
    registry = kopf.get_default_registry()
    repairs = [h for h in registry._watching.get_all_handlers() if h.id.startswith("repair-")]
    assert len(repairs) == len(CHILD_RESOURCES)
    assert all(h.labels == MANAGED for h in repairs)


def test_timers_run_at_the_documented_intervals() -> None:
    timers = {
        str(h.id): h
        for h in kopf.get_default_registry()._spawning.get_all_handlers()
        if isinstance(h, TimerHandler)
    }
    assert timers["resync"].interval == handlers.RESYNC_S
    assert timers["autoscale_on_lag"].interval == handlers.AUTOSCALE_S
    assert timers["topics-resync"].interval == handlers.RESYNC_S
